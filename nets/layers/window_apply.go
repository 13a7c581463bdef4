package layers

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/graph"
)

// Window is the geometry of a convolution or pooling applied with a given kernel rather than with
// variables, for imported models: a KernelH×KernelW window moved by Stride, the input zero-padded by
// PadTop rows and PadLeft columns before it and by as many as an OutH×OutW output needs after it.
// TensorFlow's "SAME" padding, one row or column short at the top and left of a strided window, is
// such a window.
type Window struct {
	KernelH, KernelW int
	Stride           int
	PadTop, PadLeft  int
	OutH, OutW       int
}

// window returns w as the internal window, checking it against an inH×inW input.
func (w Window) window(inH, inW int) (window, error) {
	if w.KernelH < 1 || w.KernelW < 1 || w.Stride < 1 || w.PadTop < 0 || w.PadLeft < 0 || w.OutH < 1 || w.OutW < 1 {
		return window{}, fmt.Errorf("layers: invalid window %+v", w)
	}
	if w.PadTop >= w.KernelH || w.PadLeft >= w.KernelW ||
		(w.OutH-1)*w.Stride-w.PadTop >= inH || (w.OutW-1)*w.Stride-w.PadLeft >= inW {
		return window{}, fmt.Errorf("layers: window %+v reads only padding of a %d×%d input", w, inH, inW)
	}
	return window{kernelH: w.KernelH, kernelW: w.KernelW, stride: w.Stride, padH: w.PadTop, padW: w.PadLeft,
		outH: w.OutH, outW: w.OutW}, nil
}

// ConvWindow convolves x [N, H, W, C] by kernel [KernelH, KernelW, C, out] (any node, e.g. an imported
// constant) over window w, with the lowering Conv uses in inference mode. It panics on inconsistent
// shapes, as GoMLX's graph functions do.
func ConvWindow(x, kernel *graph.Node, w Window) *graph.Node {
	xd, kd := x.Shape().Dimensions, kernel.Shape().Dimensions
	win, err := w.window(xd[1], xd[2])
	if err != nil {
		panic(err)
	}
	if len(kd) != 4 || kd[0] != w.KernelH || kd[1] != w.KernelW || kd[2] != xd[3] {
		panic(fmt.Sprintf("layers.ConvWindow: kernel %v for input %v and window %+v", kd, xd, w))
	}
	return convDense(win, x, kernel, false)
}

// DepthwiseConvWindow convolves every channel of x [N, H, W, C] by its own filter, kernel [KernelH,
// KernelW, 1, C], over window w, with the lowering DepthwiseConv uses in inference mode. It panics on
// inconsistent shapes.
func DepthwiseConvWindow(x, kernel *graph.Node, w Window) *graph.Node {
	xd, kd := x.Shape().Dimensions, kernel.Shape().Dimensions
	win, err := w.window(xd[1], xd[2])
	if err != nil {
		panic(err)
	}
	if len(kd) != 4 || kd[0] != w.KernelH || kd[1] != w.KernelW || kd[2] != 1 || kd[3] != xd[3] {
		panic(fmt.Sprintf("layers.DepthwiseConvWindow: kernel %v for input %v and window %+v", kd, xd, w))
	}
	return convDepthwise(win, x, kernel, false)
}

// MaxPoolWindow returns the maximum of x [N, H, W, C] over window w, padding ignored (TensorFlow's
// MaxPool).
func MaxPoolWindow(x *graph.Node, w Window) *graph.Node {
	xd := x.Shape().Dimensions
	win, err := w.window(xd[1], xd[2])
	if err != nil {
		panic(err)
	}
	g := newGrid(win, xd[0], xd[1], xd[2])
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

// sameWindow returns the window of TensorFlow's "SAME" padding for a k×k kernel with the given
// stride over an inH×inW input: ⌈in/stride⌉ outputs, the padding the window needs split with
// the odd row or column after the input.
func sameWindow(inH, inW, k, stride int) window {
	outH, outW := (inH+stride-1)/stride, (inW+stride-1)/stride
	return window{kernelH: k, kernelW: k, stride: stride,
		padH: max((outH-1)*stride+k-inH, 0) / 2, padW: max((outW-1)*stride+k-inW, 0) / 2, outH: outH, outW: outW}
}
