package pseudolabel

import (
	"context"
	"fmt"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// TeacherAgreement scores a region teacher (Google's BlazePose lite, say) as the student is
// scored: it looks at the plain crop of each person of split (the boxes the student is
// evaluated on; distill.PlainView under sc), and its keypoints are evaluated by COCO OKS AP
// against the split's pseudo ground truth (the senior's). Its records come from cache (computed
// once per person). Joints it calls visible score 1, the others 0.
func TeacherAgreement(ctx context.Context, t distill.RegionTeacher, split *train.Split, sc topdown.Config, cache *distill.RecordCache) (eval.COCOStats, error) {
	results, err := TeacherResults(ctx, t, split, sc, cache)
	if err != nil {
		return eval.COCOStats{}, err
	}
	return agreementOf(ctx, split, results, sc)
}

// agreementOf scores results by COCO OKS AP against split's pseudo ground truth.
func agreementOf(ctx context.Context, split *train.Split, results []dataset.Result, sc topdown.Config) (eval.COCOStats, error) {
	params, err := eval.COCOParamsFor(sc.Joints)
	if err != nil {
		return eval.COCOStats{}, err
	}
	rep, err := eval.EvaluateCOCO(ctx, split.Data, results, params)
	if err != nil {
		return eval.COCOStats{}, fmt.Errorf("teacher agreement on %s: %w", split.Path, err)
	}
	return rep.Stats, nil
}

// TeacherResults are a region teacher's people on the boxes of split, one result per instance
// in the split's order, as TeacherAgreement scores them (its records from cache).
func TeacherResults(ctx context.Context, t distill.RegionTeacher, split *train.Split, sc topdown.Config, cache *distill.RecordCache) ([]dataset.Result, error) {
	images := distill.NewImages(split.Instances, 0)
	recs, err := distill.CacheRecords(ctx, t, split.Instances, images, sc, cache, nil)
	if err != nil {
		return nil, err
	}
	results := make([]dataset.Result, 0, len(split.Instances))
	for _, in := range split.Instances {
		r := recs[in.Annotation.ID]
		kps := make([]float64, 0, 3*len(r.Keypoints))
		visible := 0
		for _, p := range r.Keypoints {
			s := 0.0
			if p.V > 0 {
				s, visible = 1, visible+1
			}
			kps = append(kps, p.X, p.Y, s)
		}
		results = append(results, dataset.Result{ImageID: in.Annotation.ImageID, CategoryID: 1, Keypoints: kps,
			Score: float64(visible) / float64(max(len(r.Keypoints), 1))})
	}
	return results, nil
}
