package layers

import (
	"github.com/gomlx/gomlx/core/graph"
)

// matmulChannels multiplies the channel axis of an NHWC tensor x [N, H, W, K] by a [K, out] matrix,
// in place: one DotGeneral contracting x's last axis, which the go backend's matrix kernels read
// as an [N·H·W, K] matrix without a copy (a Reshape to [N·H·W, K] copies x whenever x has other
// consumers, as a block's input kept for the backward pass has, and the result would be reshaped
// back).
//
// The gradient is laid out for those kernels, which want the left operand's contracted axes last.
// GoMLX's own gradient of the weights, xᵀ·v, contracts the long N, H, W axes of both operands, so
// the backend transposes both, x and v [N, H, W, out]. Here only the narrower of the two is
// transposed (xᵀ when K ≤ out, else vᵀ and the small result): a 1×1 expansion (out = 6K) or
// projection (K = 6·out) of MobileNetV2 moves a seventh of the data. The input gradient v·wᵀ
// already has a layout the kernels take directly: GoMLX's own is kept, and x is not wrapped in an
// identity node.
func matmulChannels(x, kernel *graph.Node, custom bool) *graph.Node {
	last := x.Rank() - 1
	return handWritten(custom, []*graph.Node{kernel},
		func(in []*graph.Node, zero *graph.Node) *graph.Node {
			return graph.DotGeneral(x, []int{last}, nil, addZero(in[0], zero), []int{0}, nil)
		},
		func(_ []*graph.Node, v *graph.Node) []*graph.Node {
			return []*graph.Node{weightGradient(x, v)}
		})
}

// weightGradient returns xᵀ·v [K, N] for x [..., K] and v [..., N] (equal leading axes, all
// contracted), transposing only the narrower of x and v (and then the small result). The transpose
// moves the last axis first: a swap of two blocks, which the go backend runs as a 2-D transpose.
func weightGradient(x, v *graph.Node) *graph.Node {
	rank := x.Rank()
	lead := make([]int, rank-1)  // the leading axes, contracted
	moved := make([]int, rank-1) // where they are once the last axis moved first
	perm := make([]int, 0, rank) // the last axis first
	perm = append(perm, rank-1)
	for i := range lead {
		lead[i], moved[i] = i, i+1
		perm = append(perm, i)
	}
	if x.Shape().Dimensions[rank-1] <= v.Shape().Dimensions[rank-1] {
		return graph.DotGeneral(transposeAll(x, perm), moved, nil, v, lead, nil)
	}
	return graph.Transpose(graph.DotGeneral(transposeAll(v, perm), moved, nil, x, lead, nil), 0, 1)
}

// transposeAll is graph.TransposeAllAxes, with a 2-D swap as graph.Transpose.
func transposeAll(x *graph.Node, perm []int) *graph.Node {
	if len(perm) == 2 {
		return graph.Transpose(x, 0, 1)
	}
	return graph.TransposeAllAxes(x, perm...)
}
