package distill

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// Root3D is the COCO-17 joint the 3D targets are relative to (train.Root3D).
const Root3D = train.Root3D

// MetresPerUnit scales the synthetic 3D joints (millimetres) into the location-map targets
// (metres); Evaluate3D scales back to mm (train.MetresPerUnit).
const MetresPerUnit = train.MetresPerUnit

// Evaluate3D runs a network with a location head on the val split's plain crops, reads each
// joint's 3D position at its 2D heatmap maximum (codec.ReadLocations) and returns MPJPE and
// PA-MPJPE in millimetres, relative to Root3D, over the labelled joints.
func Evaluate3D(ctx context.Context, p *nets.Predictor, cfg train.Config, dataDir string) (eval.Pose3DResult, error) {
	split, err := train.ReadSplit3D(ctx, dataDir, "val.json")
	if err != nil {
		return eval.Pose3DResult{}, err
	}
	sc, err := SampleConfig(cfg, false, false, true)
	if err != nil {
		return eval.Pose3DResult{}, err
	}
	var insts = split.Instances[:0:0]
	for _, in := range split.Instances {
		if len(in.Annotation.Joints3D) > 0 {
			insts = append(insts, in)
		}
	}
	gt3D := make(map[int64][]float64, len(insts))
	for _, in := range insts {
		gt3D[in.Annotation.ID] = in.Annotation.Joints3D
	}
	loader, err := topdown.NewLoader(topdown.LoaderConfig{Sample: sc, BatchSize: cfg.BatchSize, Workers: 1, Epochs: 1}, insts)
	if err != nil {
		return eval.Pose3DResult{}, err
	}
	it, err := loader.Start(ctx, 0, 0)
	if err != nil {
		return eval.Pose3DResult{}, err
	}
	defer it.Close()
	k := sc.Joints.NumJoints()
	var pairs []eval.Pose3DPair
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return eval.Pose3DResult{}, err
		}
		pred, err := p.Predict(tensors.FromFlatDataAndDimensions(b.Images.Data, b.Images.Shape...))
		if err != nil {
			return eval.Pose3DResult{}, err
		}
		if pred.Locations == nil {
			return eval.Pose3DResult{}, fmt.Errorf("evaluate 3D: the network has no location head")
		}
		hm, err := tensors.CopyFlatData[float32](pred.Heatmaps)
		if err != nil {
			return eval.Pose3DResult{}, err
		}
		lm, err := tensors.CopyFlatData[float32](pred.Locations)
		if err != nil {
			return eval.Pose3DResult{}, err
		}
		n := b.Len()
		hper, lper := len(hm)/n, len(lm)/n
		for i := range n {
			preds, err := sc.Codec.Decode(hm[i*hper:(i+1)*hper], k)
			if err != nil {
				return eval.Pose3DResult{}, err
			}
			xyz, err := sc.Codec.ReadLocations(lm[i*lper:(i+1)*lper], preds)
			if err != nil {
				return eval.Pose3DResult{}, err
			}
			gt := gt3D[b.AnnotationIDs[i]]
			w := b.LocationWeights.Data[i*k : (i+1)*k]
			if len(gt) != 3*k || !(w[Root3D] > 0) {
				continue
			}
			pair := eval.Pose3DPair{Pred: make([]float64, 3*k), GT: make([]float64, 3*k), Valid: make([]bool, k)}
			for j := range k {
				pair.Valid[j] = w[j] > 0
				for a := range 3 {
					pair.Pred[3*j+a] = xyz[j][a] / MetresPerUnit
					pair.GT[3*j+a] = (gt[3*j+a] - gt[3*Root3D+a]) / MetresPerUnit
				}
			}
			pairs = append(pairs, pair)
		}
	}
	return eval.Evaluate3D(pairs, eval.Pose3DConfig{Root: Root3D})
}
