package layers

import (
	"math"

	"github.com/gomlx/gomlx/core/graph"
)

// MaxPool returns the k×k max pooling of x [N, H, W, C] with the given stride and padding (k−1)/2
// (ResNet's 3×3 stride-2 stem pooling), as the maximum of the shifted taps of x padded with −∞.
func MaxPool(x *graph.Node, kernel, stride int) *graph.Node {
	dims := x.Shape().Dimensions
	p := (kernel - 1) / 2
	w := newWindow(dims[1], dims[2], kernel, kernel, stride, p, p)
	endH := max(0, (kernel-1)+stride*w.outH-dims[1]-p)
	endW := max(0, (kernel-1)+stride*w.outW-dims[2]-p)
	xp := graph.Pad(x, graph.Scalar(x.Graph(), x.DType(), math.Inf(-1)),
		graph.PadAxis{}, graph.PadAxis{Start: p, End: endH}, graph.PadAxis{Start: p, End: endW}, graph.PadAxis{})
	var out *graph.Node
	for dy := range kernel {
		for dx := range kernel {
			t := w.tap(xp, dy, dx)
			if out == nil {
				out = t
			} else {
				out = graph.Max(out, t)
			}
		}
	}
	return out
}
