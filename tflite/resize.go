package tflite

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// resizeWeights returns the [out, in] interpolation matrix TFLite's RESIZE_BILINEAR applies
// along one axis: output o reads the input at s = (o+0.5)·scale−0.5 (half-pixel centers) or
// o·scale, with scale = in/out, or (in−1)/(out−1) with align_corners; it mixes rows
// max(floor(s), 0) and min(ceil(s), in−1) with weights 1−(s−lo) and s−lo, in float32 as TFLite does.
func resizeWeights(in, out int, alignCorners, halfPixel bool) []float32 {
	scale := float32(in) / float32(out)
	if alignCorners && out > 1 {
		scale = float32(in-1) / float32(out-1)
	}
	w := make([]float32, out*in)
	for o := 0; o < out; o++ {
		var s float32
		if halfPixel {
			s = (float32(o)+0.5)*scale - 0.5
		} else {
			s = float32(o) * scale
		}
		lo := max(int(math.Floor(float64(s))), 0)
		hi := min(int(math.Ceil(float64(s))), in-1)
		lo = min(lo, in-1)
		frac := s - float32(lo)
		w[o*in+lo] += 1 - frac
		w[o*in+hi] += frac
	}
	return w
}

// resizeBilinear builds RESIZE_BILINEAR as two matrix products with the interpolation weights.
func (b *builder) resizeBilinear(op Operator, x *graph.Node) (*graph.Node, error) {
	size := b.net.consts[op.Inputs[1]]
	if len(size.vals) != 2 || x.Rank() != 4 {
		return nil, fmt.Errorf("size %v for input rank %d", size.vals, x.Rank())
	}
	outH, outW := int(size.vals[0]), int(size.vals[1])
	d := x.Shape().Dimensions
	if outH < 1 || outW < 1 || d[1] < 1 || d[2] < 1 {
		return nil, fmt.Errorf("resize %v to %d×%d", d, outH, outW)
	}
	var align, half bool
	if o, ok := op.Options.(*ResizeBilinearOptions); ok {
		align, half = o.AlignCorners, o.HalfPixelCenters
	}
	if align && half {
		return nil, fmt.Errorf("align_corners and half_pixel_centers both set")
	}
	g := x.Graph()
	ry := graph.ConstTensor(g, tensors.FromFlatDataAndDimensions(resizeWeights(d[1], outH, align, half), outH, d[1]))
	rx := graph.ConstTensor(g, tensors.FromFlatDataAndDimensions(resizeWeights(d[2], outW, align, half), outW, d[2]))
	y := graph.Einsum("ph,nhwc->npwc", ry, x)
	return graph.Einsum("qw,npwc->npqc", rx, y), nil
}
