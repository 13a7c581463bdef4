package eval

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/posedistill/posedistill/dataset"
)

// FuzzEvaluateCOCO feeds arbitrary ground-truth and results JSON to EvaluateCOCO: it must never
// panic, every stat must be -1 or within [0, 1], and the outcome must not depend on the order of
// the ground truth's image list.
func FuzzEvaluateCOCO(f *testing.F) {
	for _, name := range []string{"tiny", "quirk_fields", "empty"} {
		dir := filepath.Join(cocoFixtureRoot, name)
		gt, errG := os.ReadFile(filepath.Join(dir, "gt.json"))
		dt, errD := os.ReadFile(filepath.Join(dir, "dt.json"))
		if errG == nil && errD == nil {
			f.Add(gt, dt)
		}
	}
	kps := `[10,10,2,20,10,2,15,30,1]`
	f.Add([]byte(`{"images":[{"id":1},{"id":0}],"annotations":[
		{"id":0,"image_id":1,"category_id":1,"iscrowd":0,"num_keypoints":3,"area":400,"bbox":[10,10,10,20],"keypoints":`+kps+`},
		{"id":5,"image_id":1,"category_id":1,"iscrowd":1,"num_keypoints":0,"area":0,"bbox":[0,0,0,0],"keypoints":[]}],
		"categories":[{"id":1}]}`),
		[]byte(`[{"image_id":1,"category_id":1,"keypoints":`+kps+`,"score":1},{"image_id":0,"category_id":1,"keypoints":[0,0,0,0,0,0,0,0,0],"score":1}]`))
	sigmas := []float64{0.05, 0.1, 0.02}
	f.Fuzz(func(t *testing.T, gtJSON, dtJSON []byte) {
		var gt dataset.Dataset
		var res []dataset.Result
		if json.Unmarshal(gtJSON, &gt) != nil || json.Unmarshal(dtJSON, &res) != nil {
			return
		}
		for _, p := range []COCOParams{DefaultCOCOParams(), cocoFuzzParams(sigmas)} {
			rep, err := EvaluateCOCO(context.Background(), &gt, res, p)
			if err != nil {
				continue
			}
			for i, v := range rep.Stats.Values() {
				if v != -1 && !(v >= 0 && v <= 1) {
					t.Fatalf("stat %d = %v", i, v)
				}
			}
			rev := gt
			rev.Images = slices.Clone(gt.Images)
			slices.Reverse(rev.Images)
			rep2, err := EvaluateCOCO(context.Background(), &rev, res, p)
			if err != nil {
				t.Fatalf("reversed image list: %v", err)
			}
			if a, b := rep.Stats.Values(), rep2.Stats.Values(); a != b {
				t.Fatalf("stats depend on the image list's order: %v vs %v", a, b)
			}
		}
	})
}

// cocoFuzzParams returns the default parameters with other sigmas (a different keypoint count).
func cocoFuzzParams(sigmas []float64) COCOParams {
	p := DefaultCOCOParams()
	p.Sigmas = sigmas
	p.KeypointNames = nil
	return p
}
