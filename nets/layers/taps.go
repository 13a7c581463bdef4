package layers

import (
	"github.com/gomlx/gomlx/core/graph"
)

// window describes a sliding window over the two spatial axes of an NHWC tensor.
type window struct {
	kernelH, kernelW int // window size
	stride           int
	padH, padW       int // zero padding before the first row / column (PyTorch's padding)
	outH, outW       int // output size
}

// newWindow returns the window of a kernel k×k with the given stride and symmetric padding over an
// inH×inW input, with PyTorch's output size rule ⌊(in + 2·pad − k)/stride⌋ + 1.
func newWindow(inH, inW, kernelH, kernelW, stride, padH, padW int) window {
	return window{
		kernelH: kernelH, kernelW: kernelW, stride: stride, padH: padH, padW: padW,
		outH: (inH+2*padH-kernelH)/stride + 1,
		outW: (inW+2*padW-kernelW)/stride + 1,
	}
}

// pad returns x zero-padded so that every tap of w can be taken with a plain (non-strided) slice of
// length stride·out: padH rows before, and as many after as the last tap needs (at least none).
func (w window) pad(x *graph.Node) *graph.Node {
	dims := x.Shape().Dimensions
	endH := max(0, (w.kernelH-1)+w.stride*w.outH-dims[1]-w.padH)
	endW := max(0, (w.kernelW-1)+w.stride*w.outW-dims[2]-w.padW)
	if w.padH == 0 && w.padW == 0 && endH == 0 && endW == 0 {
		return x
	}
	zero := graph.ScalarZero(x.Graph(), x.DType())
	return graph.Pad(x, zero,
		graph.PadAxis{}, graph.PadAxis{Start: w.padH, End: endH}, graph.PadAxis{Start: w.padW, End: endW}, graph.PadAxis{})
}

// tap returns, from the padded input xp, the [N, outH, outW, C] tensor of the inputs that the kernel
// element (dy, dx) sees: xp[:, dy + stride·i, dx + stride·j, :].
//
// With a stride s the rows dy … dy+s·outH are sliced contiguously, reshaped to [outH, s] and phase 0 is
// kept; the gradient of that is a plain pad, which every backend supports.
func (w window) tap(xp *graph.Node, dy, dx int) *graph.Node {
	s := w.stride
	t := graph.Slice(xp, graph.AxisRange(),
		graph.AxisRange(dy, dy+s*w.outH), graph.AxisRange(dx, dx+s*w.outW), graph.AxisRange())
	if s == 1 {
		return t
	}
	dims := t.Shape().Dimensions
	n, c := dims[0], dims[3]
	t = graph.Reshape(t, n, w.outH, s, w.outW, s, c)
	t = graph.Slice(t, graph.AxisRange(), graph.AxisRange(), graph.AxisElem(0), graph.AxisRange(), graph.AxisElem(0), graph.AxisRange())
	return graph.Reshape(t, n, w.outH, w.outW, c)
}

// im2col returns the [N, outH, outW, kh·kw·C] tensor of all taps concatenated on the channel axis, in
// (dy, dx, c) order: the row order of a [kh, kw, C, out] kernel reshaped to [kh·kw·C, out].
func (w window) im2col(xp *graph.Node) *graph.Node {
	taps := make([]*graph.Node, 0, w.kernelH*w.kernelW)
	for dy := range w.kernelH {
		for dx := range w.kernelW {
			taps = append(taps, w.tap(xp, dy, dx))
		}
	}
	if len(taps) == 1 {
		return taps[0]
	}
	return graph.Concatenate(taps, -1)
}

// channelVector reshapes a [C] vector to [1, 1, 1, C] for broadcasting over an NHWC tensor.
func channelVector(v *graph.Node) *graph.Node {
	return graph.Reshape(v, 1, 1, 1, v.Shape().Dimensions[0])
}
