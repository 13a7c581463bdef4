package tflite

import (
	"github.com/gomlx/gomlx/core/graph"
)

// Lowered convolutions: GoMLX's go backend runs matrix products much faster than its generic
// ConvGeneral, so by default a regular convolution is built as im2col (the kernel taps'
// shifted, strided views of the padded input, concatenated on channels; see padTaps) times the
// kernel reshaped to [O, KH·KW·I], and a depthwise convolution as a sum of shifted taps times
// the per-channel weights. Network.NativeConv switches back to ConvGeneral.

// tap returns the strided view of padded input xp that kernel tap (ky, kx) reads.
func tap(xp *graph.Node, ky, kx, oh, ow int, s, d [2]int) *graph.Node {
	y0, x0 := ky*d[0], kx*d[1]
	return graph.Slice(xp, graph.AxisRange(),
		graph.AxisRange(y0, y0+(oh-1)*s[0]+1).Stride(s[0]),
		graph.AxisRange(x0, x0+(ow-1)*s[1]+1).Stride(s[1]),
		graph.AxisRange())
}

// padSpatial zero-pads the two spatial axes of an NHWC tensor.
func padSpatial(x *graph.Node, p [][2]int) *graph.Node {
	if p[0] == [2]int{} && p[1] == [2]int{} {
		return x
	}
	return graph.Pad(x, graph.ScalarZero(x.Graph(), x.DType()),
		graph.PadAxis{}, graph.PadAxis{Start: p[0][0], End: p[0][1]}, graph.PadAxis{Start: p[1][0], End: p[1][1]}, graph.PadAxis{})
}

// outSize is the output length of a convolution along one axis.
func outSize(in, k, s, d int, p [2]int) int {
	return (in+p[0]+p[1]-((k-1)*d+1))/s + 1
}

// convIm2col builds a regular convolution; k is [O, KH, KW, I].
func convIm2col(x, k *graph.Node, s, d [2]int, p [][2]int, how tapMethod) *graph.Node {
	kd := k.Shape().Dimensions
	var cols *graph.Node
	if kd[1] == 1 && kd[2] == 1 && s == [2]int{1, 1} {
		cols = padSpatial(x, p)
	} else {
		tapAt := padTaps(x, kd[1], kd[2], s, d, p, how)
		if how == tapsBySlice {
			xd := x.Shape().Dimensions
			oh, ow := outSize(xd[1], kd[1], s[0], d[0], p[0]), outSize(xd[2], kd[2], s[1], d[1], p[1])
			xp := padSpatial(x, p)
			tapAt = func(ky, kx int) *graph.Node { return tap(xp, ky, kx, oh, ow, s, d) }
		}
		taps := make([]*graph.Node, 0, kd[1]*kd[2])
		for ky := 0; ky < kd[1]; ky++ {
			for kx := 0; kx < kd[2]; kx++ {
				taps = append(taps, tapAt(ky, kx))
			}
		}
		cols = taps[0]
		if len(taps) > 1 {
			cols = graph.Concatenate(taps, 3)
		}
	}
	w := graph.Reshape(k, kd[0], kd[1]*kd[2]*kd[3])
	return graph.Einsum("nhwi,oi->nhwo", cols, w)
}

// convTaps builds a depthwise convolution with multiplier 1 from its constant kernel
// [1, KH, KW, C].
func convTaps(x *graph.Node, k *constant, s, d [2]int, p [][2]int) (*graph.Node, error) {
	xd, kd := x.Shape().Dimensions, k.shape
	c := kd[3]
	oh, ow := outSize(xd[1], kd[1], s[0], d[0], p[0]), outSize(xd[2], kd[2], s[1], d[1], p[1])
	xp := padSpatial(x, p)
	var sum *graph.Node
	for ky := 0; ky < kd[1]; ky++ {
		for kx := 0; kx < kd[2]; kx++ {
			off := (ky*kd[2] + kx) * c
			term, err := perChannel(tap(xp, ky, kx, oh, ow, s, d), k.vals[off:off+c], graph.Mul)
			if err != nil {
				return nil, err
			}
			if sum == nil {
				sum = term
			} else {
				sum = graph.Add(sum, term)
			}
		}
	}
	return sum, nil
}
