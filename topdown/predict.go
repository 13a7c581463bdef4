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

// Decode decodes one sample's [HeatH, HeatW, K] heatmaps into its joints in input-crop pixels,
// separating left/right pairs as cfg.Pairs asks.
func (cfg *Config) Decode(heatmaps []float32) ([]codec.Prediction, error) {
	k := cfg.Joints.NumJoints()
	preds, err := cfg.Codec.Decode(heatmaps, k)
	if err != nil {
		return nil, fmt.Errorf("topdown: %w", err)
	}
	if !cfg.Pairs.Enabled() {
		return preds, nil
	}
	if err := cfg.Codec.SeparatePairs(heatmaps, k, preds, cfg.Joints.FlipIndex(), cfg.Pairs); err != nil {
		return nil, fmt.Errorf("topdown: %w", err)
	}
	return preds, nil
}

// DecodeBatch decodes a network's [N, HeatH, HeatW, K] heatmaps for batch b into COCO results in
// image pixels, category 1 (person), scored by InstanceScore with box score 1.
func (cfg *Config) DecodeBatch(heatmaps []float32, b *Batch) ([]dataset.Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := b.Len()
	if n <= 0 || len(heatmaps)%n != 0 {
		return nil, fmt.Errorf("topdown: decode: %d heatmap values for %d samples", len(heatmaps), n)
	}
	per := len(heatmaps) / n
	out := make([]dataset.Result, n)
	for i := range out {
		p, err := cfg.Decode(heatmaps[i*per : (i+1)*per])
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		out[i] = dataset.Result{
			ImageID: b.ImageIDs[i], CategoryID: 1,
			Keypoints: ToImageKeypoints(p, b.ToImage[i]),
			Score:     InstanceScore(p, 1),
		}
	}
	return out, nil
}
