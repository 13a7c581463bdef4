package distill

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/posedistill/posedistill/codec"
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

// locationReadRadius is the half-size of the window, in heatmap pixels, over which Evaluate3D
// averages the location maps around a joint's heatmap maximum (codec.ReadLocations).
const locationReadRadius = 2

// Evaluate3D runs a network with a location head on the val split's plain crops (with a flip
// test when cfg.FlipTest: heatmaps and location maps of the mirrored crop mirrored back and
// averaged), reads each joint's 3D position around its 2D heatmap maximum (codec.ReadLocations)
// and returns MPJPE and PA-MPJPE in millimetres, relative to Root3D, over the labelled joints.
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
		hm, lm, err := predict3D(p, b.Images, sc, cfg.FlipTest)
		if err != nil {
			return eval.Pose3DResult{}, err
		}
		n := b.Len()
		hper, lper := len(hm)/n, len(lm)/n
		for i := range n {
			preds, err := sc.Decode(hm[i*hper : (i+1)*hper])
			if err != nil {
				return eval.Pose3DResult{}, err
			}
			xyz, err := sc.Codec.ReadLocations(lm[i*lper:(i+1)*lper], hm[i*hper:(i+1)*hper], preds, locationReadRadius)
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

// predict3D returns the heatmaps and location maps of a batch of crops, averaged with those of
// the mirrored crops mirrored back when flip is set.
func predict3D(p *nets.Predictor, images topdown.Tensor, sc topdown.Config, flip bool) (hm, lm []float32, err error) {
	run := func(images topdown.Tensor) (hm, lm []float32, err error) {
		pred, err := p.Predict(tensors.FromFlatDataAndDimensions(images.Data, images.Shape...))
		if err != nil {
			return nil, nil, err
		}
		if pred.Locations == nil {
			return nil, nil, fmt.Errorf("evaluate 3D: the network has no location head")
		}
		if hm, err = tensors.CopyFlatData[float32](pred.Heatmaps); err != nil {
			return nil, nil, err
		}
		lm, err = tensors.CopyFlatData[float32](pred.Locations)
		return hm, lm, err
	}
	if hm, lm, err = run(images); err != nil || !flip {
		return hm, lm, err
	}
	fhm, flm, err := run(train.Mirror(images))
	if err != nil {
		return nil, nil, err
	}
	n, k, flipIndex := images.Shape[0], sc.Joints.NumJoints(), sc.Joints.FlipIndex()
	if fhm, err = sc.Codec.FlipHeatmaps(fhm, n, k, flipIndex); err != nil {
		return nil, nil, err
	}
	if flm, err = codec.FlipLocationMaps(flm, n, sc.Codec.HeatH, sc.Codec.HeatW, k, flipIndex); err != nil {
		return nil, nil, err
	}
	for i := range hm {
		hm[i] = (hm[i] + fhm[i]) / 2
	}
	for i := range lm {
		lm[i] = (lm[i] + flm[i]) / 2
	}
	return hm, lm, nil
}
