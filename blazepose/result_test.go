package blazepose

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func testPerson() Person {
	p := Person{ROI: Rect{CX: 100, CY: 100, W: 256, H: 256}, Detection: Detection{Score: 0.8},
		Pose: &Pose{Score: 0.9, World: make([][3]float64, numPoints)}}
	for i := 0; i < NumLandmarks; i++ {
		p.Landmarks = append(p.Landmarks, Landmark{X: float64(10 + i), Y: float64(50 - i), Z: -1, Visibility: 0.75, Presence: 0.5})
		p.Pose.World[i] = [3]float64{0.1 * float64(i), 0, 0}
	}
	return p
}

func TestResultJSON(t *testing.T) {
	r, err := testPerson().Result(7, 1)
	if err != nil {
		t.Fatal(err)
	}
	ts := 1.5
	r.TrackID, r.Timestamp = 3, &ts
	path := filepath.Join(t.TempDir(), "r.json")
	if err := WriteResults(path, []Result{r, r}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if len(got) != 2 {
		t.Fatalf("%d records, want 2", len(got))
	}
	g := got[0]
	if g["image_id"] != 7.0 || g["category_id"] != 1.0 || g["track_id"] != 3.0 || g["timestamp"] != 1.5 {
		t.Errorf("ids/time: %v %v %v %v", g["image_id"], g["category_id"], g["track_id"], g["timestamp"])
	}
	if s := g["score"].(float64); s < 0.72-1e-9 || s > 0.72+1e-9 {
		t.Errorf("score %v, want detection × pose flag = 0.72", s)
	}
	if n := len(g["keypoints"].([]any)); n != 51 {
		t.Errorf("%d keypoint values, want 51 (COCO-17)", n)
	}
	if kp := g["keypoints"].([]any); kp[0] != 10.0 || kp[1] != 50.0 || kp[2] != 0.75 {
		t.Errorf("COCO nose %v, want landmark 0 [10 50 0.75]", kp[:3])
	}
	lm := g["landmarks"].([]any)
	if len(lm) != NumLandmarks || len(lm[0].([]any)) != 5 || len(g["world_landmarks"].([]any)) != NumLandmarks {
		t.Errorf("landmarks %d, world %d", len(lm), len(g["world_landmarks"].([]any)))
	}
	if bb := g["bbox"].([]any); bb[0] != 10.0 || bb[1] != 18.0 || bb[2] != 32.0 || bb[3] != 32.0 {
		t.Errorf("bbox %v, want [10 18 32 32]", bb)
	}
	if _, nested := g["Result"]; nested {
		t.Error("the embedded dataset.Result must be flattened")
	}
	if _, err := (Person{}).Result(1, 1); err == nil {
		t.Error("Result of an empty person: want error")
	}
}
