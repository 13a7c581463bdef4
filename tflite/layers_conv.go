package tflite

import (
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/nets/layers"
)

// layersConv builds a convolution with the lowering of package nets/layers (layers.ConvWindow,
// layers.DepthwiseConvWindow) when it can take it: equal strides, no dilation, padding inside
// the kernel, a constant kernel, depthwise multiplier 1. It reports false when it cannot.
func (b *builder) layersConv(op Operator, x *graph.Node, xd, kd []int, sh, sw, dh, dw int, p [][2]int, depthwise bool) (*graph.Node, bool, error) {
	if sh != sw || dh != 1 || dw != 1 || p[0][0] >= kd[1] || p[1][0] >= kd[2] {
		return nil, false, nil
	}
	kc, ok := b.constant(op.Inputs[1])
	if !ok {
		return nil, false, nil
	}
	win := layers.Window{KernelH: kd[1], KernelW: kd[2], Stride: sh, PadTop: p[0][0], PadLeft: p[1][0],
		OutH: outSize(xd[1], kd[1], sh, 1, p[0]), OutW: outSize(xd[2], kd[2], sw, 1, p[1])}
	g := x.Graph()
	if depthwise {
		if kd[3] != xd[3] {
			return nil, false, nil
		}
		// [1, KH, KW, C] is [KH, KW, 1, C] in memory.
		k := graph.ConstTensor(g, tensors.FromFlatDataAndDimensions(kc.vals, kd[1], kd[2], 1, kd[3]))
		return layers.DepthwiseConvWindow(x, k, win), true, nil
	}
	// [O, KH, KW, I] → [KH, KW, I, O], on the host.
	o, kh, kw, in := kd[0], kd[1], kd[2], kd[3]
	t := make([]float32, len(kc.vals))
	for a := range o {
		for r := range kh * kw * in {
			t[r*o+a] = kc.vals[a*kh*kw*in+r]
		}
	}
	k := graph.ConstTensor(g, tensors.FromFlatDataAndDimensions(t, kh, kw, in, o))
	return layers.ConvWindow(x, k, win), true, nil
}
