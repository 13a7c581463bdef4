package train

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/topdown"
)

// HeatmapFunc runs a network on a batch of images [N, H, W, 3] and returns its heatmaps
// [N, h, w, K] as flat float32 values.
type HeatmapFunc func(images topdown.Tensor) ([]float32, error)

// PredictorHeatmaps adapts a nets.Predictor to a HeatmapFunc.
func PredictorHeatmaps(p *nets.Predictor) HeatmapFunc {
	return func(images topdown.Tensor) ([]float32, error) {
		pred, err := p.Predict(tensors.FromFlatDataAndDimensions(images.Data, images.Shape...))
		if err != nil {
			return nil, err
		}
		return tensors.CopyFlatData[float32](pred.Heatmaps)
	}
}

// Predict runs heatmaps on every instance, top-down on its box (the plain crop of sc, no
// augmentation), in batches of batchSize (the last one padded, so one graph serves all), with a
// flip test when flip is set, and returns COCO results in image pixels.
func Predict(ctx context.Context, heatmaps HeatmapFunc, sc topdown.Config, instances []topdown.Instance, batchSize int, flip bool) ([]dataset.Result, error) {
	sc.Augment = nil
	loader, err := topdown.NewLoader(topdown.LoaderConfig{Sample: sc, BatchSize: batchSize, Workers: 1, Epochs: 1}, instances)
	if err != nil {
		return nil, err
	}
	it, err := loader.Start(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var results []dataset.Result
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			return results, nil
		}
		if err != nil {
			return nil, err
		}
		res, err := predictBatch(heatmaps, sc, b, batchSize, flip)
		if err != nil {
			return nil, err
		}
		results = append(results, res...)
	}
}

// predictBatch runs heatmaps on a batch padded to batchSize samples (with a flip test when flip
// is set) and decodes its results in image pixels.
func predictBatch(heatmaps HeatmapFunc, sc topdown.Config, b *topdown.Batch, batchSize int, flip bool) ([]dataset.Result, error) {
	n := b.Len()
	k := sc.Joints.NumJoints()
	images := padBatch(b.Images, batchSize)
	hm, err := heatmaps(images)
	if err != nil {
		return nil, err
	}
	if flip {
		fhm, err := heatmaps(Mirror(images))
		if err != nil {
			return nil, err
		}
		back, err := sc.Codec.FlipHeatmaps(fhm, batchSize, k, sc.Joints.FlipIndex())
		if err != nil {
			return nil, err
		}
		for i := range hm {
			hm[i] = (hm[i] + back[i]) / 2
		}
	}
	per := len(hm) / batchSize
	return sc.DecodeBatch(hm[:n*per], b)
}

// Validate predicts on a split's instances and evaluates the results with COCO's keypoint
// protocol against the split's ground truth.
func Validate(ctx context.Context, heatmaps HeatmapFunc, sc topdown.Config, split *Split, batchSize int, flip bool) ([]dataset.Result, *eval.COCOReport, error) {
	results, err := Predict(ctx, heatmaps, sc, split.Instances, batchSize, flip)
	if err != nil {
		return nil, nil, fmt.Errorf("validate on %s: %w", split.Path, err)
	}
	params, err := eval.COCOParamsFor(sc.Joints)
	if err != nil {
		return nil, nil, err
	}
	rep, err := eval.EvaluateCOCO(ctx, split.Data, results, params)
	if err != nil {
		return nil, nil, fmt.Errorf("validate on %s: %w", split.Path, err)
	}
	return results, rep, nil
}

// padBatch returns t [N, …] grown to n samples by repeating its last sample.
func padBatch(t topdown.Tensor, n int) topdown.Tensor {
	if t.Shape[0] >= n {
		return t
	}
	per := len(t.Data) / t.Shape[0]
	data := make([]float32, 0, n*per)
	data = append(data, t.Data...)
	last := t.Data[len(t.Data)-per:]
	for range n - t.Shape[0] {
		data = append(data, last...)
	}
	shape := append([]int{n}, t.Shape[1:]...)
	return topdown.Tensor{Shape: shape, Data: data}
}

// Mirror returns a copy of images [N, H, W, C] flipped left-right (the flip test's input).
func Mirror(t topdown.Tensor) topdown.Tensor {
	n, h, w, c := t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
	out := make([]float32, len(t.Data))
	for row := range n * h {
		for x := range w {
			copy(out[(row*w+x)*c:(row*w+x+1)*c], t.Data[(row*w+w-1-x)*c:(row*w+w-x)*c])
		}
	}
	return topdown.Tensor{Shape: t.Shape, Data: out}
}
