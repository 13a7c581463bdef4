package layers

import (
	"github.com/gomlx/gomlx/core/graph"
)

// matmulChannels multiplies the channel axis of an NHWC tensor x [N, H, W, K] by a [K, out] matrix.
func matmulChannels(x, kernel *graph.Node, custom bool) *graph.Node {
	dims := x.Shape().Dimensions
	n, h, w, k := dims[0], dims[1], dims[2], dims[3]
	out := kernel.Shape().Dimensions[1]
	y := matmul(graph.Reshape(x, n*h*w, k), kernel, custom)
	return graph.Reshape(y, n, h, w, out)
}

// matmul returns x [M, K] · w [K, N] with a gradient laid out for the go backend's matrix kernels,
// which want the left operand's contracted axis last. GoMLX's own gradient of the weights, xᵀ·v,
// contracts the long M axis of both operands, so the backend transposes both, x [M, K] and v [M, N].
// Here only the narrower of the two is transposed (xᵀ when K ≤ N, else vᵀ and the small result):
// a 1×1 expansion (N = 6K) or projection (K = 6N) of MobileNetV2 moves a seventh of the data.
// The input gradient v·wᵀ already has a layout the kernels take directly: GoMLX's own is kept, and
// x is not wrapped in an identity node (which would copy it when it has other consumers, as the input
// of a residual block has).
func matmul(x, w *graph.Node, custom bool) *graph.Node {
	return handWritten(custom, []*graph.Node{w},
		func(in []*graph.Node, zero *graph.Node) *graph.Node {
			return graph.DotGeneral(x, []int{1}, nil, addZero(in[0], zero), []int{0}, nil)
		},
		func(_ []*graph.Node, v *graph.Node) []*graph.Node {
			return []*graph.Node{weightGradient(x, v)}
		})
}

// weightGradient returns xᵀ·v [K, N] for x [M, K] and v [M, N], transposing only the narrower of x
// and v (and then the small result).
func weightGradient(x, v *graph.Node) *graph.Node {
	if x.Shape().Dimensions[1] <= v.Shape().Dimensions[1] {
		return graph.DotGeneral(graph.Transpose(x, 0, 1), []int{1}, nil, v, []int{0}, nil)
	}
	return graph.Transpose(graph.DotGeneral(graph.Transpose(v, 0, 1), []int{1}, nil, x, []int{0}, nil), 0, 1)
}
