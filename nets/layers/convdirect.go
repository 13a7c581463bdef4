package layers

import (
	"github.com/gomlx/gomlx/core/graph"
)

// In inference graphs on the go backend, a k×k dense convolution with few output channels is one
// ConvGeneral, which posedistill's fork of github.com/gomlx/compute (third_party/gomlx-compute,
// FORK.md) runs with a kernel that reads the input in place. Lowered, it is an im2col copy (kh·kw
// crops concatenated on the channel axis) and a matrix product: with few output channels the copy
// writes about as many values as the product has multiply-adds, and the matrix kernels are slow on
// products with one or a few columns (BlazePose's segmentation head, a 3×3 convolution of 8
// channels into 1 at 256×256, took about a fifth of the model's time that way). Training graphs keep
// the lowering, whose hand-written gradients are tested.

// lowerDirectConv forces the im2col lowering on every backend (tests compare the two).
var lowerDirectConv = false

// maxDirectConvOut is the largest output channel count that takes the ConvGeneral path: above it,
// the matrix product's work outgrows the im2col copy.
const maxDirectConvOut = 32

// convDenseDirect returns, for inference graphs on the go backend with at most maxDirectConvOut
// output channels, the dense convolution of an input like x [N, H, W, C] by a kernel [kh, kw, C,
// out] over window w as one ConvGeneral; it returns nil elsewhere, and when the window would need a
// negative padding (a window that leaves input rows unread), for the lowered path. GoMLX's own
// gradient of ConvGeneral is wrong for some windows (an even kernel padded on one side), so the
// caller gives it the lowering's hand-written gradient: inference graphs are plain graphs that may
// be differentiated (tests compare their gradients with the training graphs').
func convDenseDirect(w window, x, kernel *graph.Node) func(x, kernel *graph.Node) *graph.Node {
	if lowerDirectConv || !gathers(x.Graph()) || kernel.Shape().Dimensions[3] > maxDirectConvOut {
		return nil
	}
	xd := x.Shape().Dimensions
	s := w.stride
	pads := [][2]int{
		{w.padH, (w.outH-1)*s + w.kernelH - xd[1] - w.padH},
		{w.padW, (w.outW-1)*s + w.kernelW - xd[2] - w.padW},
	}
	if pads[0][1] < 0 || pads[1][1] < 0 {
		return nil
	}
	return func(x, kernel *graph.Node) *graph.Node {
		return graph.ConvGeneral(x, kernel, nhwcAxes, []int{s, s}, pads, nil, nil, 1, 1)
	}
}
