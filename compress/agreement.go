package compress

import (
	"context"
	"fmt"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/topdown"
)

// AgreementAP scores results against reference predictions taken as ground truth, with COCO's
// keypoint protocol: how faithfully a compressed network reproduces the original, independently of
// how good the original is. reference[i] and results[i] are the predictions for instances[i] (as
// train.Predict returns them, in instance order); the pseudo ground truth keeps each instance's
// image, box and area and takes the reference's keypoints, all visible. It returns AP and AP50.
func AgreementAP(ctx context.Context, images []dataset.Image, categories []dataset.Category, instances []topdown.Instance, reference, results []dataset.Result, params eval.COCOParams) (ap, ap50 float64, err error) {
	if len(reference) != len(instances) || len(results) != len(instances) {
		return 0, 0, fmt.Errorf("agreement: %d reference and %d results for %d instances", len(reference), len(results), len(instances))
	}
	k := len(params.Sigmas)
	gt := &dataset.Dataset{Images: images, Categories: categories, Annotations: make([]dataset.Annotation, len(instances))}
	for i, inst := range instances {
		r := reference[i]
		if r.ImageID != inst.Annotation.ImageID || len(r.Keypoints) != 3*k {
			return 0, 0, fmt.Errorf("agreement: reference %d (image %d, %d values) does not fit instance %d (image %d, %d joints)",
				i, r.ImageID, len(r.Keypoints), inst.Annotation.ID, inst.Annotation.ImageID, k)
		}
		a := inst.Annotation
		a.Segmentation, a.Joints3D = nil, nil
		a.IsCrowd, a.NumKeypoints = 0, k
		a.Keypoints = make([]float64, 3*k)
		for j := range k {
			a.Keypoints[3*j], a.Keypoints[3*j+1], a.Keypoints[3*j+2] = r.Keypoints[3*j], r.Keypoints[3*j+1], 2
		}
		gt.Annotations[i] = a
	}
	rep, err := eval.EvaluateCOCO(ctx, gt, results, params)
	if err != nil {
		return 0, 0, fmt.Errorf("agreement: %w", err)
	}
	return rep.Stats.AP, rep.Stats.AP50, nil
}
