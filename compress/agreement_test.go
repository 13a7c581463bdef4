package compress

import (
	"context"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/train"
)

// TestAgreementAP checks that results identical to the reference agree perfectly (AP 1), that
// results moved by a fraction of each person's size agree less, and that mismatched lists are errors.
func TestAgreementAP(t *testing.T) {
	ctx := context.Background()
	split, err := train.ReadSplit(ctx, synthData(t), "train.json")
	if err != nil {
		t.Fatal(err)
	}
	params := eval.DefaultCOCOParams()
	ref := make([]dataset.Result, len(split.Instances))
	moved := make([]dataset.Result, len(split.Instances))
	for i, inst := range split.Instances {
		a := inst.Annotation
		kp := make([]float64, 3*17)
		far := make([]float64, 3*17)
		for j := range 17 {
			x, y := a.BBox[0]+a.BBox[2]*float64(j%5)/5, a.BBox[1]+a.BBox[3]*float64(j)/17
			kp[3*j], kp[3*j+1], kp[3*j+2] = x, y, 0.9
			far[3*j], far[3*j+1], far[3*j+2] = x+0.1*a.BBox[2], y, 0.9
		}
		ref[i] = dataset.Result{ImageID: a.ImageID, CategoryID: 1, Keypoints: kp, Score: 0.9}
		moved[i] = dataset.Result{ImageID: a.ImageID, CategoryID: 1, Keypoints: far, Score: 0.9}
	}
	same, _, err := AgreementAP(ctx, split.Data.Images, split.Data.Categories, split.Instances, ref, ref, params)
	if err != nil {
		t.Fatal(err)
	}
	off, off50, err := AgreementAP(ctx, split.Data.Images, split.Data.Categories, split.Instances, ref, moved, params)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("agreement AP: identical %.3f, moved by 10%% of the box width %.3f (AP50 %.3f)", same, off, off50)
	if same < 0.999 || !(off < same) {
		t.Errorf("agreement AP: identical %g (want 1), moved %g (want less)", same, off)
	}
	if _, _, err := AgreementAP(ctx, split.Data.Images, split.Data.Categories, split.Instances, ref[1:], ref, params); err == nil {
		t.Error("mismatched lengths: no error")
	}
}
