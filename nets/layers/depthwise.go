package layers

import (
	"github.com/gomlx/gomlx/core/graph"
)

// Depthwise convolutions on the go backend are single ConvGeneral ops: posedistill's fork of
// github.com/gomlx/compute (third_party/gomlx-compute, FORK.md) runs the three configurations below
// (forward, input gradient, filter gradient) with a kernel that writes each output pixel once, its
// channel run accumulated over the taps in SIMD registers. The lowering to taps (convDepthwise's
// other path) takes 9 crops, 9 multiplies and 8 adds over the whole output forward, and as many
// again backward: 3–5 times the time.

// lowerDepthwise forces the lowered depthwise path on every backend (tests compare the two).
var lowerDepthwise = false

// nativeDepthwise reports whether depthwise convolutions in g should be ConvGeneral ops.
func nativeDepthwise(g *graph.Graph) bool {
	return !lowerDepthwise && gathers(g)
}

// nhwcAxes is the plain layout: NHWC input and output, [kh, kw, 1, C] kernel.
var nhwcAxes = graph.ConvolveAxesConfig{
	InputBatch: 0, InputSpatial: []int{1, 2}, InputChannels: 3,
	KernelSpatial: []int{0, 1}, KernelInputChannels: 2, KernelOutputChannels: 3,
	OutputBatch: 0, OutputSpatial: []int{1, 2}, OutputChannels: 3,
}

// filterAxes lays out the filter gradient as a convolution of the input x [N, H, W, C] (read with C
// as its batch axis and N as its channels) by the output's adjoint v [N, oh, ow, C] (N in, C out),
// with one batch group per channel: out[ky, kx, 0, c] = Σ_{n,i,j} xpad[n, ky+s·i, kx+s·j, c]·v[n, i, j, c],
// already in the kernel's layout [kh, kw, 1, C].
var filterAxes = graph.ConvolveAxesConfig{
	InputBatch: 3, InputSpatial: []int{1, 2}, InputChannels: 0,
	KernelSpatial: []int{1, 2}, KernelInputChannels: 0, KernelOutputChannels: 3,
	OutputBatch: 2, OutputSpatial: []int{0, 1}, OutputChannels: 3,
}

// convDepthwiseNative is the depthwise convolution of x [N, H, W, C] by kernel [kh, kw, 1, C] as one
// ConvGeneral, with hand-written gradients (two more ConvGenerals) in training mode. It returns nil
// when the convolution or a gradient would need a negative padding (a window that leaves input rows
// unread, as a 1×1 stride-2 kernel on an even size does), which the lowered path handles.
func convDepthwiseNative(w window, x, kernel *graph.Node, custom bool) *graph.Node {
	xd := x.Shape().Dimensions
	h, wd, c := xd[1], xd[2], xd[3]
	s := w.stride
	strides := []int{s, s}
	// The padding after the input is what the window's output size needs (TensorFlow's SAME windows
	// pad one more row or column after than before).
	pads := [][2]int{
		{w.padH, (w.outH-1)*s + w.kernelH - h - w.padH},
		{w.padW, (w.outW-1)*s + w.kernelW - wd - w.padW},
	}
	if pads[0][1] < 0 || pads[1][1] < 0 {
		return nil
	}
	conv := func(x, k *graph.Node) *graph.Node {
		return graph.ConvGeneral(x, k, nhwcAxes, strides, pads, nil, nil, c, 1)
	}
	if !custom {
		return conv(x, kernel)
	}
	// The input gradient is the convolution of v, dilated by the stride, by the reversed kernel, padded
	// so that output row r reads v's dilated rows r + pad − ky; the filter gradient's padding makes its
	// output kh×kw.
	dxPads := [][2]int{
		{w.kernelH - 1 - w.padH, h + w.padH - 1 - (w.outH-1)*s},
		{w.kernelW - 1 - w.padW, wd + w.padW - 1 - (w.outW-1)*s},
	}
	dkPads := [][2]int{
		{w.padH, w.kernelH + (w.outH-1)*s - h - w.padH},
		{w.padW, w.kernelW + (w.outW-1)*s - wd - w.padW},
	}
	for _, p := range append(dxPads, dkPads...) {
		if p[0] < 0 || p[1] < 0 {
			return nil
		}
	}
	var wrapped *graph.Node // the identity-wrapped input, kept for the filter gradient
	forward := func(in []*graph.Node, zero *graph.Node) *graph.Node {
		// GoMLX's own gradient of a grouped ConvGeneral splits it into one convolution per channel: the
		// StopGradients keep it from being built (see customGradient), the zero keeps in[i] on the path.
		wrapped = graph.StopGradient(in[0])
		return graph.Add(conv(wrapped, graph.StopGradient(in[1])), zero)
	}
	backward := func(in []*graph.Node, v *graph.Node) []*graph.Node {
		// The filter gradient reads the wrapped input: x itself keeps a single consumer (an identity
		// node copies an input that has others).
		k := in[1]
		dx := graph.ConvGeneral(v, graph.Reverse(k, 0, 1), nhwcAxes, []int{1, 1}, dxPads, strides, nil, c, 1)
		dk := graph.ConvGeneral(wrapped, v, filterAxes, []int{1, 1}, dkPads, nil, strides, 1, c)
		return []*graph.Node{dx, dk}
	}
	return customGradient([]*graph.Node{x, kernel}, forward, backward)
}
