package compress

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/nets"
)

// DefaultCalibrationSamples is the number of values per tensor that Calibrate keeps for percentiles
// when CalibrationOptions.Samples is 0.
const DefaultCalibrationSamples = 1 << 18

// CalibrationOptions configures Calibrate.
type CalibrationOptions struct {
	// Samples bounds the values kept per tensor for percentiles: each batch contributes every k-th
	// value, k chosen so that all batches together keep at most Samples (0: DefaultCalibrationSamples).
	Samples int
}

// ActRange is the observed range of one activation tensor.
type ActRange struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// Calibration holds the activation statistics of a network over calibration images: the exact
// minimum and maximum of the input and of every layer's output, and a deterministic subsample of
// their values for percentiles.
type Calibration struct {
	// Names lists the tensors in network order: nets.Input, then every layer.
	Names []string
	// MinMax is the exact range of each tensor over all calibration images.
	MinMax  map[string]ActRange
	samples map[string][]float32
}

// Calibrate runs net (inference mode, float32) with store's weights on every batch of images
// [N, H, W, C] and records the range of the input and of every layer's output. The calibration
// images should be crops from the training or validation split, not the images evaluated later.
func Calibrate(ctx context.Context, backend compute.Backend, net *nets.Net, store *model.Store, batches []*tensors.Tensor, opt CalibrationOptions) (*Calibration, error) {
	if len(batches) == 0 {
		return nil, fmt.Errorf("calibrate %s: no images", net.Name)
	}
	if opt.Samples < 0 {
		return nil, fmt.Errorf("calibrate %s: %d samples", net.Name, opt.Samples)
	}
	if opt.Samples == 0 {
		opt.Samples = DefaultCalibrationSamples
	}
	names := []string{nets.Input}
	for _, l := range net.Layers {
		names = append(names, l.Name)
	}
	// The layers' outputs come from the graph; the input's from the batch itself (a graph output
	// that is its own input aliases, and then releases, the caller's tensor).
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, images *graph.Node) []*graph.Node {
		_, all, err := BuildQuantized(scope, net, images, false, QuantSpec{})
		if err != nil {
			panic(err)
		}
		outs := make([]*graph.Node, len(names)-1)
		for i, n := range names[1:] {
			outs[i] = all[n]
		}
		return outs
	})
	if err != nil {
		return nil, fmt.Errorf("calibrate %s: %w", net.Name, err)
	}
	defer exec.Finalize()
	c := &Calibration{Names: names, MinMax: map[string]ActRange{}, samples: map[string][]float32{}}
	for i, b := range batches {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("calibrate %s: %w", net.Name, err)
		}
		s := b.Shape()
		if s.Rank() != 4 || s.Dimensions[3] != net.InputChannels {
			return nil, fmt.Errorf("calibrate %s: batch %d has shape %s, want [N, H, W, %d]", net.Name, i, s, net.InputChannels)
		}
		in, err := b.LocalClone() // the caller's tensor stays usable on any backend
		if err != nil {
			return nil, fmt.Errorf("calibrate %s: batch %d: %w", net.Name, i, err)
		}
		outs, err := exec.Call(in)
		in.FinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("calibrate %s: batch %d: %w", net.Name, i, err)
		}
		for j, name := range names {
			src := b
			if j > 0 {
				src = outs[j-1]
			}
			values, err := tensors.CopyFlatData[float32](src)
			if err != nil {
				return nil, fmt.Errorf("calibrate %s: %s: %w", net.Name, name, err)
			}
			if err := c.add(name, values, len(batches), opt.Samples, i == 0); err != nil {
				return nil, fmt.Errorf("calibrate %s: batch %d: %w", net.Name, i, err)
			}
		}
	}
	return c, nil
}

// add records one batch's values of a tensor.
func (c *Calibration) add(name string, values []float32, batches, samples int, first bool) error {
	r := c.MinMax[name]
	if first {
		r = ActRange{Lo: math.Inf(1), Hi: math.Inf(-1)}
	}
	for _, v := range values {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s: non-finite activation", name)
		}
		r.Lo, r.Hi = min(r.Lo, f), max(r.Hi, f)
	}
	c.MinMax[name] = r
	stride := max(1, (len(values)*batches+samples-1)/samples)
	for i := 0; i < len(values); i += stride {
		c.samples[name] = append(c.samples[name], values[i])
	}
	return nil
}

// Percentile returns, for every tensor, the range from the (100−p)-th to the p-th percentile of its
// sampled values (nearest rank), p in (50, 100]. It lies within MinMax; p = 100 gives the sampled
// extremes.
func (c *Calibration) Percentile(p float64) (map[string]ActRange, error) {
	if !(p > 50 && p <= 100) {
		return nil, fmt.Errorf("calibration percentile %g outside (50, 100]", p)
	}
	out := make(map[string]ActRange, len(c.Names))
	for _, name := range c.Names {
		s := slices.Clone(c.samples[name])
		if len(s) == 0 {
			return nil, fmt.Errorf("calibration: no values of %s", name)
		}
		slices.Sort(s)
		rank := func(q float64) float64 {
			i := int(math.Ceil(q/100*float64(len(s)))) - 1
			return float64(s[min(max(i, 0), len(s)-1)])
		}
		out[name] = ActRange{Lo: rank(100 - p), Hi: rank(p)}
	}
	return out, nil
}

// ActQuants returns the uint8 quantization of every range (export.NewActQuant: widened to include 0).
func ActQuants(ranges map[string]ActRange) (map[string]export.ActQuant, error) {
	out := make(map[string]export.ActQuant, len(ranges))
	for name, r := range ranges {
		q, err := export.NewActQuant(r.Lo, r.Hi)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = q
	}
	return out, nil
}
