package layers

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// Resize names an interpolation for 2× upsampling.
type Resize string

const (
	// Nearest repeats each pixel 2×2.
	Nearest Resize = "nearest"
	// Bilinear interpolates with half-pixel centres and edge clamping (PyTorch's align_corners=False,
	// TFLite's half_pixel_centers).
	Bilinear Resize = "bilinear"
)

// Valid reports whether r is a known interpolation.
func (r Resize) Valid() bool { return r == Nearest || r == Bilinear }

// Upsample2x doubles the height and width of x [N, H, W, C]. It panics on an unknown mode.
func Upsample2x(x *graph.Node, mode Resize) *graph.Node {
	dims := x.Shape().Dimensions
	n, h, w, c := dims[0], dims[1], dims[2], dims[3]
	switch mode {
	case Nearest:
		y := graph.Reshape(x, n, h, 1, w, 1, c)
		y = graph.BroadcastToDims(y, n, h, 2, w, 2, c)
		return graph.Reshape(y, n, 2*h, 2*w, c)
	case Bilinear:
		return bilinear2x(bilinear2x(x, 1), 2)
	}
	panic(fmt.Sprintf("layers.Upsample2x: unknown mode %q", string(mode)))
}

// bilinear2x doubles axis (1 or 2) of x: out[2m] = ¾x[m] + ¼x[m−1], out[2m+1] = ¾x[m] + ¼x[m+1], with
// the neighbours clamped at the edges. The neighbours are crops of x extended by its edge rows (or
// columns), copied run by run (see crop): the go backend's Slice goes element by element.
func bilinear2x(x *graph.Node, axis int) *graph.Node {
	dims := x.Shape().Dimensions
	h, w := dims[1], dims[2]
	size := dims[axis]
	along := func(t *graph.Node, start, length int) *graph.Node { // t[start:start+length] on axis
		if axis == 1 {
			return crop(t, start, 0, length, w)
		}
		return crop(t, 0, start, h, length)
	}
	extended := graph.Concatenate([]*graph.Node{along(x, 0, 1), x, along(x, size-1, 1)}, axis)
	prev, next := along(extended, 0, size), along(extended, 2, size)
	center := graph.MulScalar(x, 0.75)
	even := graph.Add(center, graph.MulScalar(prev, 0.25))
	odd := graph.Add(center, graph.MulScalar(next, 0.25))
	y := graph.Stack([]*graph.Node{even, odd}, axis+1)
	out := append([]int(nil), dims...)
	out[axis] *= 2
	return graph.Reshape(y, out...)
}
