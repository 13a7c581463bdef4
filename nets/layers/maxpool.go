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
	g := newGrid(newWindow(dims[1], dims[2], kernel, kernel, stride, p, p), dims[0], dims[1], dims[2])
	g.fill = math.Inf(-1)
	var out *graph.Node
	for _, t := range g.taps(x, false) {
		if out == nil {
			out = t
		} else {
			out = graph.Max(out, t)
		}
	}
	return out
}
