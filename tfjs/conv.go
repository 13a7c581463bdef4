package tfjs

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/posedistill/posedistill/nets/layers"
)

// window returns the layers.Window of a TensorFlow convolution or pooling of kernel kh×kw over an
// NHWC input of spatial size h×w, from the node's strides, padding and dilations attributes.
func window(n *Node, h, w, kh, kw int) (layers.Window, error) {
	if f, err := n.attrString("data_format", "NHWC"); err != nil || f != "NHWC" {
		return layers.Window{}, fmt.Errorf("data format %q: %w", f, ErrUnsupported)
	}
	st := n.attrInts("strides")
	if len(st) != 4 || st[0] != 1 || st[3] != 1 || st[1] != st[2] || st[1] < 1 {
		return layers.Window{}, fmt.Errorf("strides %v: %w (only equal strides on the two spatial axes)", st, ErrUnsupported)
	}
	s := st[1]
	for _, d := range n.attrInts("dilations") {
		if d != 1 {
			return layers.Window{}, fmt.Errorf("dilations %v: %w", n.attrInts("dilations"), ErrUnsupported)
		}
	}
	pad, err := n.attrString("padding", "VALID")
	if err != nil {
		return layers.Window{}, err
	}
	win := layers.Window{KernelH: kh, KernelW: kw, Stride: s}
	switch pad {
	case "SAME":
		win.OutH, win.OutW = (h+s-1)/s, (w+s-1)/s
		win.PadTop = max((win.OutH-1)*s+kh-h, 0) / 2
		win.PadLeft = max((win.OutW-1)*s+kw-w, 0) / 2
	case "VALID":
		win.OutH, win.OutW = (h-kh)/s+1, (w-kw)/s+1
		if h < kh || w < kw {
			return layers.Window{}, fmt.Errorf("input %d×%d smaller than kernel %d×%d", h, w, kh, kw)
		}
	case "EXPLICIT":
		p := n.attrInts("explicit_paddings")
		if len(p) != 8 || p[0] != 0 || p[1] != 0 || p[6] != 0 || p[7] != 0 {
			return layers.Window{}, fmt.Errorf("explicit paddings %v", p)
		}
		for _, v := range p {
			if v < 0 || v >= max(kh, kw) {
				return layers.Window{}, fmt.Errorf("explicit paddings %v: %w (at most kernel−1)", p, ErrUnsupported)
			}
		}
		win.PadTop, win.PadLeft = p[2], p[4]
		win.OutH, win.OutW = (h+p[2]+p[3]-kh)/s+1, (w+p[4]+p[5]-kw)/s+1
	default:
		return layers.Window{}, fmt.Errorf("padding %q: %w", pad, ErrUnsupported)
	}
	if win.OutH < 1 || win.OutW < 1 {
		return layers.Window{}, fmt.Errorf("input %d×%d too small for kernel %d×%d", h, w, kh, kw)
	}
	return win, nil
}

// convOp translates Conv2D and DepthwiseConv2dNative, and their fused forms (a bias and an
// activation after the convolution), onto the lowered convolutions of nets/layers.
func convOp(depthwise, fused bool) func(*builder, *Node, []value) ([]value, error) {
	return func(b *builder, n *Node, in []value) ([]value, error) {
		xs, ks := in[0].shape(), in[1].shape()
		if len(xs) != 4 || len(ks) != 4 || in[0].dtype() != Float32 || in[1].dtype() != Float32 {
			return nil, fmt.Errorf("input %s%v, filter %s%v: want float32 NHWC and a 4D filter", in[0].dtype(), xs, in[1].dtype(), ks)
		}
		if ks[2] != xs[3] {
			return nil, fmt.Errorf("filter %v for %d input channels", ks, xs[3])
		}
		win, err := window(n, xs[1], xs[2], ks[0], ks[1])
		if err != nil {
			return nil, err
		}
		x, k := b.node(in[0]), b.node(in[1])
		var y *graph.Node
		if depthwise {
			if ks[3] != 1 {
				return nil, fmt.Errorf("channel multiplier %d: %w", ks[3], ErrUnsupported)
			}
			y = layers.DepthwiseConvWindow(x, graph.Reshape(k, ks[0], ks[1], 1, ks[2]), win)
		} else {
			y = layers.ConvWindow(x, k, win)
		}
		if !fused {
			if len(in) != 2 {
				return nil, fmt.Errorf("%d inputs, want 2", len(in))
			}
			return one(value{n: y}), nil
		}
		return fusedTail(b, n, y, in[2:])
	}
}

// fusedTail applies the operations a fused convolution lists after the convolution: a bias, then
// an optional activation.
func fusedTail(b *builder, n *Node, y *graph.Node, args []value) ([]value, error) {
	fusedOps, err := n.attrStrings("fused_ops")
	if err != nil {
		return nil, err
	}
	if len(fusedOps) == 0 || fusedOps[0] != "BiasAdd" {
		return nil, fmt.Errorf("fused operations %v: %w (only BiasAdd and an activation)", fusedOps, ErrUnsupported)
	}
	if len(fusedOps) > 2 {
		return nil, fmt.Errorf("fused operations %v: %w", fusedOps, ErrUnsupported)
	}
	want := 1
	if len(fusedOps) == 2 && fusedOps[1] == "Prelu" {
		want = 2
	}
	if len(args) != want {
		return nil, fmt.Errorf("fused operations %v with %d arguments, want %d", fusedOps, len(args), want)
	}
	c := y.Shape().Dimensions[3]
	if s := args[0].shape(); len(s) != 1 || s[0] != c || args[0].dtype() != Float32 {
		return nil, fmt.Errorf("bias %s%v for %d channels", args[0].dtype(), s, c)
	}
	y = graph.Add(y, graph.Reshape(b.node(args[0]), 1, 1, 1, c))
	if len(fusedOps) == 1 {
		return one(value{n: y}), nil
	}
	switch fusedOps[1] {
	case "Relu":
		y = relu(y)
	case "Relu6":
		y = relu6(y)
	case "Sigmoid":
		y = graph.Sigmoid(y)
	case "Tanh":
		y = graph.Tanh(y)
	case "LeakyRelu":
		alpha := n.attrFloat("leakyrelu_alpha", 0.2)
		y = graph.Max(y, graph.MulScalar(y, alpha))
	case "Prelu":
		alpha := b.node(args[1])
		if alpha.Shape().Size() != c {
			return nil, fmt.Errorf("prelu alpha %v for %d channels", alpha.Shape().Dimensions, c)
		}
		alpha = graph.Reshape(alpha, 1, 1, 1, c)
		y = graph.Add(relu(y), graph.Mul(alpha, graph.MinScalar(y, 0)))
	default:
		return nil, fmt.Errorf("fused activation %q: %w", fusedOps[1], ErrUnsupported)
	}
	return one(value{n: y}), nil
}

func opBiasAdd(b *builder, n *Node, in []value) ([]value, error) {
	if f, err := n.attrString("data_format", "NHWC"); err != nil || f != "NHWC" {
		return nil, fmt.Errorf("data format %q: %w", f, ErrUnsupported)
	}
	xs, bs := in[0].shape(), in[1].shape()
	if len(xs) < 1 || len(bs) != 1 || bs[0] != xs[len(xs)-1] {
		return nil, fmt.Errorf("bias %v for input %v", bs, xs)
	}
	dims := make([]int, len(xs))
	for i := range dims {
		dims[i] = 1
	}
	dims[len(dims)-1] = bs[0]
	return one(value{n: graph.Add(b.node(in[0]), graph.Reshape(b.node(in[1]), dims...))}), nil
}

func opMaxPool(b *builder, n *Node, in []value) ([]value, error) {
	xs := in[0].shape()
	k := n.attrInts("ksize")
	if len(xs) != 4 || len(k) != 4 || k[0] != 1 || k[3] != 1 || in[0].dtype() != Float32 {
		return nil, fmt.Errorf("input %v, ksize %v", xs, k)
	}
	win, err := window(n, xs[1], xs[2], k[1], k[2])
	if err != nil {
		return nil, err
	}
	return one(value{n: layers.MaxPoolWindow(b.node(in[0]), win)}), nil
}

func opResizeBilinear(b *builder, n *Node, in []value) ([]value, error) {
	size, err := hostInts(in[1], "the size")
	if err != nil {
		return nil, err
	}
	xs := in[0].shape()
	if len(xs) != 4 || len(size) != 2 || in[0].dtype() != Float32 {
		return nil, fmt.Errorf("input %s%v, size %v", in[0].dtype(), xs, size)
	}
	align, half := n.attrBool("align_corners"), n.attrBool("half_pixel_centers")
	switch {
	case size[0] == xs[1] && size[1] == xs[2]:
		return one(in[0]), nil
	case size[0] == 2*xs[1] && size[1] == 2*xs[2] && half && !align:
		return one(value{n: layers.Upsample2x(b.node(in[0]), layers.Bilinear)}), nil
	}
	return nil, fmt.Errorf("resize %v to %v (align_corners %v, half_pixel_centers %v): %w (only 2× with half-pixel centers)",
		xs, size, align, half, ErrUnsupported)
}
