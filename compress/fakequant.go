package compress

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// FakeQuant returns x [..., C] quantized and dequantized in the graph, as Quantize and Dequantize do
// on the host (ranges including zero, per channel on the last axis or per tensor, symmetric or
// asymmetric, rounding half to even, scales of at least 2⁻¹²⁶), with a straight-through gradient:
// the forward value is the quantized one, the gradient with respect to x is the identity (Bengio et
// al. 2013; Jacob et al., "Quantization and training of neural networks for efficient integer-
// arithmetic-only inference", 2018). Use it on weights in quantization-aware training. Only the
// integer formats are supported.
func FakeQuant(x *graph.Node, opt QuantOptions) (*graph.Node, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	bits := opt.Format.bits()
	if bits == 0 {
		return nil, fmt.Errorf("fake quant: format %s has no integer codes", opt.Format)
	}
	rank := x.Rank()
	axes := make([]int, 0, rank)
	for i := range rank {
		if !opt.PerChannel || i < rank-1 {
			axes = append(axes, i)
		}
	}
	q := graph.StopGradient(x)
	reduce := func(fn func(*graph.Node, ...int) *graph.Node) *graph.Node {
		if len(axes) == 0 {
			return q
		}
		return graph.ReduceAndKeep(q, fn, axes...)
	}
	lo := graph.MinScalar(reduce(graph.ReduceMin), 0)
	hi := graph.MaxScalar(reduce(graph.ReduceMax), 0)
	var y *graph.Node
	if opt.Asymmetric {
		qmax := float64(int(1)<<bits - 1)
		scale := graph.MaxScalar(graph.DivScalar(graph.Sub(hi, lo), qmax), minScale)
		zero := graph.ClipScalar(graph.Round(graph.Div(graph.Neg(lo), scale)), 0, qmax)
		codes := graph.ClipScalar(graph.Add(graph.Round(graph.Div(q, scale)), zero), 0, qmax)
		y = graph.Mul(graph.Sub(codes, zero), scale)
	} else {
		qmax := float64(int(1)<<(bits-1) - 1)
		scale := graph.MaxScalar(graph.DivScalar(graph.Max(graph.Neg(lo), hi), qmax), minScale)
		codes := graph.ClipScalar(graph.Round(graph.Div(q, scale)), -qmax, qmax)
		y = graph.Mul(codes, scale)
	}
	// Straight-through: x + (y − x) with the difference treated as a constant.
	return graph.Add(x, graph.StopGradient(graph.Sub(y, x))), nil
}
