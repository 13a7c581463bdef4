package train

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/dataset"
)

// TestLoadModelPredictImage trains a tiny run, loads it, and predicts one pose per box of a
// validation image (and one for the whole image without boxes), with finite keypoints in image
// pixels carrying the image id.
func TestLoadModelPredictImage(t *testing.T) {
	data := testData(t)
	run := t.TempDir()
	cfg := tinyConfig()
	cfg.Steps = 2
	if _, err := Run(context.Background(), cfg, Options{DataDir: data, OutDir: run, Backend: testBackend(t), NoValidation: true}); err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(run, testBackend(t))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Info.Step != 2 || m.Checkpoint != filepath.Join(run, CheckpointFile) {
		t.Errorf("loaded %s at step %d", m.Checkpoint, m.Info.Step)
	}
	val, err := ReadSplit(context.Background(), data, "val.json")
	if err != nil {
		t.Fatal(err)
	}
	inst := val.Instances[0]
	img, err := dataset.LoadImage(inst.ImagePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		boxes [][4]float64
		flip  bool
	}{
		{"whole image", nil, false},
		{"two boxes, flip test", [][4]float64{inst.Annotation.BBox, {5, 5, 20, 30}}, true},
	} {
		res, err := m.PredictImage(context.Background(), img, 77, tc.boxes, tc.flip)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := max(1, len(tc.boxes))
		if len(res) != want {
			t.Fatalf("%s: %d results, want %d", tc.name, len(res), want)
		}
		for _, r := range res {
			if r.ImageID != 77 || len(r.Keypoints) != 51 {
				t.Fatalf("%s: result %+v", tc.name, r)
			}
			for j := 0; j < 17; j++ {
				x, y := r.Keypoints[3*j], r.Keypoints[3*j+1]
				if math.IsNaN(x) || math.IsNaN(y) || x < -64 || x > 128 || y < -64 || y > 128 {
					t.Errorf("%s: joint %d at (%v, %v), outside the 64×64 image's neighbourhood", tc.name, j, x, y)
				}
			}
		}
	}
	if _, err := m.PredictImage(context.Background(), img, 1, [][4]float64{{0, 0, 0, 10}}, false); err == nil {
		t.Error("a box of zero width gave no error")
	}
}
