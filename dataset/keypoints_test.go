package dataset

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/posedistill/posedistill/internal/fixtures"
)

func TestNewCOCO17Category(t *testing.T) {
	c := NewCOCO17Category()
	// The category exactly as COCO's person_keypoints_*.json lists it.
	const coco = `{"supercategory": "person", "id": 1, "name": "person",
	 "keypoints": ["nose","left_eye","right_eye","left_ear","right_ear","left_shoulder","right_shoulder",
	  "left_elbow","right_elbow","left_wrist","right_wrist","left_hip","right_hip","left_knee","right_knee",
	  "left_ankle","right_ankle"],
	 "skeleton": [[16,14],[14,12],[17,15],[15,13],[12,13],[6,12],[7,13],[6,7],[6,8],[7,9],[8,10],[9,11],
	  [2,3],[1,2],[1,3],[2,4],[3,5],[4,6],[5,7]]}`
	var want Category
	if err := json.Unmarshal([]byte(coco), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
}

func TestBBoxFromKeypoints(t *testing.T) {
	tests := []struct {
		name string
		kps  []float64
		box  [4]float64
		ok   bool
		n    int
	}{
		{"none", nil, [4]float64{}, false, 0},
		{"all unlabelled", []float64{5, 5, 0, 7, 7, 0}, [4]float64{}, false, 0},
		{"one point", []float64{3, 4, 2}, [4]float64{3, 4, 0, 0}, true, 1},
		{"ignores v=0", []float64{10, 20, 2, 0, 0, 0, 30, 5, 1, 100, 100, 0}, [4]float64{10, 5, 20, 15}, true, 2},
		{"partial triple", []float64{1, 1, 1, 9, 9}, [4]float64{1, 1, 0, 0}, true, 1},
	}
	for _, tt := range tests {
		box, ok := BBoxFromKeypoints(tt.kps)
		if box != tt.box || ok != tt.ok {
			t.Errorf("%s: BBoxFromKeypoints = %v, %v; want %v, %v", tt.name, box, ok, tt.box, tt.ok)
		}
		if n := CountLabelled(tt.kps); n != tt.n {
			t.Errorf("%s: CountLabelled = %d, want %d", tt.name, n, tt.n)
		}
	}
}

func TestIndex(t *testing.T) {
	d, err := Read(context.Background(), writeTemp(t, "s.json", sampleCOCO), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x := NewIndex(d)
	anns := x.AnnotationsOf(785)
	var ids []int64
	for _, a := range anns {
		ids = append(ids, a.ID)
	}
	if want := []int64{442619, 9007199254740995, 1}; !reflect.DeepEqual(ids, want) {
		t.Errorf("AnnotationsOf(785) ids %v, want %v", ids, want)
	}
	if len(x.AnnotationsOf(12345)) != 0 {
		t.Error("annotations for an unknown image")
	}
	if im, ok := x.Image(9007199254740993); !ok || im.FileName != "b.jpg" {
		t.Errorf("Image = %v, %v", im, ok)
	}
	if a, ok := x.Annotation(900100785); !ok || a.IsCrowd != 1 {
		t.Errorf("Annotation = %v, %v", a, ok)
	}
	if c, ok := x.Category(1); !ok || c.Name != "person" {
		t.Errorf("Category = %v, %v", c, ok)
	}
	if _, ok := x.Category(2); ok {
		t.Error("unknown category found")
	}
}

// TestFixtureCategory checks the evaluation fixtures' category against NewCOCO17Category.
func TestFixtureCategory(t *testing.T) {
	path := filepath.Join(fixtures.Dir(t, "fixtures", "cocoeval", "basic"), "gt.json")
	d, err := Read(context.Background(), path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Categories[0]; !reflect.DeepEqual(got.Keypoints, NewCOCO17Category().Keypoints) || !reflect.DeepEqual(got.Skeleton, NewCOCO17Category().Skeleton) {
		t.Errorf("fixture category %+v differs from NewCOCO17Category", got)
	}
}
