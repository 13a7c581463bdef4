package tflite

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// simdWidth is the float32 vector width of the go backend's widest SIMD kernels (AVX-512).
const simdWidth = 16

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// perChannel applies op(x, v) with the constant v (one value per channel) broadcast over x's
// last axis. The go backend runs "rows × broadcast row" with SIMD loads that, for a row length
// not a multiple of 16, read a partial vector past each row — and past the end of the buffer on
// the last row, which faults when the buffer ends at a page boundary (Go 1.27's
// archsimd.Load*Part). So x is viewed as rows of lcm(C, 16) values with v tiled to that length
// whenever the size allows it; this is also the faster layout for the kernels.
func perChannel(x *graph.Node, v []float32, op func(a, b *graph.Node) *graph.Node) (*graph.Node, error) {
	dims := x.Shape().Dimensions
	if len(dims) == 0 || dims[len(dims)-1] != len(v) {
		return nil, fmt.Errorf("%d per-channel values for shape %v", len(v), dims)
	}
	c := len(v)
	row := c / gcd(c, simdWidth) * simdWidth
	size := x.Shape().Size()
	g := x.Graph()
	if c%simdWidth == 0 || size%row != 0 {
		w := graph.ConstTensor(g, tensors.FromFlatDataAndDimensions(append([]float32(nil), v...), c))
		return op(x, graph.BroadcastToDims(graph.ExpandLeftToRank(w, len(dims)), dims...)), nil
	}
	tiled := make([]float32, row)
	for i := range tiled {
		tiled[i] = v[i%c]
	}
	w := graph.ConstTensor(g, tensors.FromFlatDataAndDimensions(tiled, 1, row))
	y := op(graph.Reshape(x, size/row, row), graph.BroadcastToDims(w, size/row, row))
	return graph.Reshape(y, dims...), nil
}
