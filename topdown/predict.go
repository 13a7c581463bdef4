package topdown

import (
	"fmt"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/dataset"
)

// KeypointScoreThreshold is the joint score above which joints count in an instance's score
// (MMPose's keypoint_score_thr for COCO).
const KeypointScoreThreshold = 0.2

// ToImageKeypoints maps decoded joints (input-crop pixels) through toImage into COCO's flat
// (x, y, score) triplets in image pixels.
func ToImageKeypoints(preds []codec.Prediction, toImage Affine) []float64 {
	out := make([]float64, 0, 3*len(preds))
	for _, p := range preds {
		x, y := toImage.Apply(p.X, p.Y)
		out = append(out, x, y, p.Score)
	}
	return out
}

// InstanceScore returns MMPose's COCO instance score: boxScore times the mean score of the joints
// scoring above KeypointScoreThreshold, or 0 when none does.
func InstanceScore(preds []codec.Prediction, boxScore float64) float64 {
	sum, n := 0.0, 0
	for _, p := range preds {
		if p.Score > KeypointScoreThreshold {
			sum += p.Score
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return boxScore * sum / float64(n)
}

// DecodeBatch decodes a network's [N, HeatH, HeatW, K] heatmaps for batch b into COCO results in
// image pixels, category 1 (person), scored by InstanceScore with box score 1.
func (cfg *Config) DecodeBatch(heatmaps []float32, b *Batch) ([]dataset.Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	k := cfg.Joints.NumJoints()
	preds, err := cfg.Codec.DecodeBatch(heatmaps, b.Len(), k)
	if err != nil {
		return nil, fmt.Errorf("topdown: %w", err)
	}
	out := make([]dataset.Result, len(preds))
	for i, p := range preds {
		out[i] = dataset.Result{
			ImageID: b.ImageIDs[i], CategoryID: 1,
			Keypoints: ToImageKeypoints(p, b.ToImage[i]),
			Score:     InstanceScore(p, 1),
		}
	}
	return out, nil
}
