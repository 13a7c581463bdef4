package tflite

import (
	"fmt"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors/images"
)

// check verifies, before any graph is built, that op is one the translation supports with
// options it understands and the constant inputs it needs.
func (n *Network) check(op Operator, code OperatorCode) error {
	if len(op.Outputs) != 1 {
		return fmt.Errorf("%d outputs: %w", len(op.Outputs), ErrUnsupported)
	}
	for _, idx := range append(append([]int(nil), op.Inputs...), op.Outputs...) {
		if idx < 0 {
			continue
		}
		t := n.sg.Tensors[idx]
		if _, isConst := n.consts[idx]; !isConst && t.Type != Float32 {
			return fmt.Errorf("tensor %q is %v (quantized activations): %w", t.Name, t.Type, ErrUnsupported)
		}
	}
	wantInputs := func(lo, hi int) error {
		if len(op.Inputs) < lo || len(op.Inputs) > hi {
			return fmt.Errorf("%d inputs, want %d..%d", len(op.Inputs), lo, hi)
		}
		return nil
	}
	needConst := func(i int) error {
		if i >= len(op.Inputs) || op.Inputs[i] < 0 {
			return fmt.Errorf("input %d missing", i)
		}
		if _, ok := n.consts[op.Inputs[i]]; !ok {
			return fmt.Errorf("input %d (%q) must be a constant: %w", i, n.sg.Tensors[op.Inputs[i]].Name, ErrUnsupported)
		}
		return nil
	}
	act := func(a Activation) error {
		switch a {
		case ActNone, ActRelu, ActRelu6, ActReluN1To1, ActTanh:
			return nil
		}
		return fmt.Errorf("fused activation %v: %w", a, ErrUnsupported)
	}
	switch code.Builtin {
	case OpConv2D, OpDepthwiseConv:
		if err := wantInputs(2, 3); err != nil {
			return err
		}
		if err := needConst(1); err != nil {
			return err
		}
		if o, ok := op.Options.(*Conv2DOptions); ok && code.Builtin == OpConv2D {
			return act(o.Activation)
		}
		if o, ok := op.Options.(*DepthwiseConv2DOptions); ok && code.Builtin == OpDepthwiseConv {
			return act(o.Activation)
		}
		return fmt.Errorf("missing options")
	case OpAdd:
		if err := wantInputs(2, 2); err != nil {
			return err
		}
		if o, ok := op.Options.(*AddOptions); ok {
			return act(o.Activation)
		}
		return nil
	case OpConcatenation:
		if err := wantInputs(1, 1<<20); err != nil {
			return err
		}
		if o, ok := op.Options.(*ConcatenationOptions); ok {
			return act(o.Activation)
		}
		return fmt.Errorf("missing options")
	case OpMaxPool2D:
		if err := wantInputs(1, 1); err != nil {
			return err
		}
		if o, ok := op.Options.(*Pool2DOptions); ok {
			return act(o.Activation)
		}
		return fmt.Errorf("missing options")
	case OpPad:
		if err := wantInputs(2, 2); err != nil {
			return err
		}
		return needConst(1)
	case OpResizeBilinear:
		if err := wantInputs(2, 2); err != nil {
			return err
		}
		return needConst(1)
	case OpReshape:
		return wantInputs(1, 2)
	case OpDepthToSpace:
		if err := wantInputs(1, 1); err != nil {
			return err
		}
		if o, ok := op.Options.(*DepthToSpaceOptions); !ok || o.BlockSize < 1 {
			return fmt.Errorf("missing or bad block size")
		}
		return nil
	case OpLogistic, OpRelu, OpRelu6, OpDequantize:
		return wantInputs(1, 1)
	}
	return fmt.Errorf("operator %s: %w", opName(code), ErrUnsupported)
}

// emit builds one operator and returns its output node.
func (b *builder) emit(op Operator, code BuiltinOperator) (*graph.Node, error) {
	x, err := b.value(op.Inputs[0])
	if err != nil {
		return nil, err
	}
	switch code {
	case OpConv2D:
		return b.conv(op, x, false)
	case OpDepthwiseConv:
		return b.conv(op, x, true)
	case OpAdd:
		y, err := b.value(op.Inputs[1])
		if err != nil {
			return nil, err
		}
		sum, err := broadcastAdd(x, y)
		if err != nil {
			return nil, err
		}
		a := ActNone
		if o, ok := op.Options.(*AddOptions); ok {
			a = o.Activation
		}
		return activate(sum, a), nil
	case OpConcatenation:
		o := op.Options.(*ConcatenationOptions)
		parts := []*graph.Node{x}
		for _, idx := range op.Inputs[1:] {
			v, err := b.value(idx)
			if err != nil {
				return nil, err
			}
			parts = append(parts, v)
		}
		axis := o.Axis
		if axis < 0 {
			axis += x.Rank()
		}
		if axis < 0 || axis >= x.Rank() {
			return nil, fmt.Errorf("axis %d out of range for rank %d", o.Axis, x.Rank())
		}
		return activate(graph.Concatenate(parts, axis), o.Activation), nil
	case OpMaxPool2D:
		return b.maxPool(op.Options.(*Pool2DOptions), x)
	case OpPad:
		return b.pad(op, x)
	case OpResizeBilinear:
		return b.resizeBilinear(op, x)
	case OpReshape:
		return graph.Reshape(x, b.net.sg.Tensors[op.Outputs[0]].Shape...), nil
	case OpDepthToSpace:
		return depthToSpace(x, op.Options.(*DepthToSpaceOptions).BlockSize)
	case OpLogistic:
		return graph.Logistic(x), nil
	case OpRelu:
		return activate(x, ActRelu), nil
	case OpRelu6:
		return activate(x, ActRelu6), nil
	case OpDequantize: // a float input (constants were folded): identity
		return x, nil
	}
	return nil, fmt.Errorf("operator %v: %w", code, ErrUnsupported)
}

// activate applies a fused activation function.
func activate(x *graph.Node, a Activation) *graph.Node {
	switch a {
	case ActRelu:
		return graph.Max(x, graph.ScalarZero(x.Graph(), x.DType()))
	case ActRelu6:
		return graph.ClipScalar(x, 0, 6)
	case ActReluN1To1:
		return graph.ClipScalar(x, -1, 1)
	case ActTanh:
		return graph.Tanh(x)
	}
	return x
}

// broadcastAdd adds x and y with NumPy broadcasting (as TFLite's ADD does).
func broadcastAdd(x, y *graph.Node) (*graph.Node, error) {
	rank := max(x.Rank(), y.Rank())
	x, y = graph.ExpandLeftToRank(x, rank), graph.ExpandLeftToRank(y, rank)
	dims := make([]int, rank)
	for i := range dims {
		dx, dy := x.Shape().Dimensions[i], y.Shape().Dimensions[i]
		switch {
		case dx == dy || dy == 1:
			dims[i] = dx
		case dx == 1:
			dims[i] = dy
		default:
			return nil, fmt.Errorf("cannot broadcast shapes %v and %v", x.Shape().Dimensions, y.Shape().Dimensions)
		}
	}
	if !slices.Equal(x.Shape().Dimensions, dims) {
		x = graph.BroadcastToDims(x, dims...)
	}
	if !slices.Equal(y.Shape().Dimensions, dims) {
		y = graph.BroadcastToDims(y, dims...)
	}
	return graph.Add(x, y), nil
}

// samePadding returns TFLite's SAME padding (before, after) for one spatial dimension.
func samePadding(in, kernel, stride, dilation int) [2]int {
	out := (in + stride - 1) / stride
	eff := (kernel-1)*dilation + 1
	total := max((out-1)*stride+eff-in, 0)
	return [2]int{total / 2, total - total/2}
}

// conv builds CONV_2D (kernel [O, KH, KW, I]) or DEPTHWISE_CONV_2D (kernel [1, KH, KW, C·M]).
func (b *builder) conv(op Operator, x *graph.Node, depthwise bool) (*graph.Node, error) {
	var pad Padding
	var sw, sh, dw, dh int
	var a Activation
	if depthwise {
		o := op.Options.(*DepthwiseConv2DOptions)
		pad, sw, sh, dw, dh, a = o.Padding, o.StrideW, o.StrideH, o.DilationWFactor, o.DilationHFactor, o.Activation
	} else {
		o := op.Options.(*Conv2DOptions)
		pad, sw, sh, dw, dh, a = o.Padding, o.StrideW, o.StrideH, o.DilationWFactor, o.DilationHFactor, o.Activation
	}
	if sw < 1 || sh < 1 || dw < 1 || dh < 1 {
		return nil, fmt.Errorf("strides %d×%d, dilations %d×%d must be positive", sh, sw, dh, dw)
	}
	k, err := b.value(op.Inputs[1])
	if err != nil {
		return nil, err
	}
	if x.Rank() != 4 || k.Rank() != 4 {
		return nil, fmt.Errorf("input rank %d, kernel rank %d: want 4", x.Rank(), k.Rank())
	}
	xd, kd := x.Shape().Dimensions, k.Shape().Dimensions
	axes := compute.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelOutputChannels: 0, KernelInputChannels: 3, KernelSpatial: []int{1, 2},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
	}
	groups := 1
	if depthwise {
		axes.KernelOutputChannels, axes.KernelInputChannels = 3, 0
		groups = xd[3]
		if kd[0] != 1 || kd[3]%xd[3] != 0 {
			return nil, fmt.Errorf("depthwise kernel %v for %d channels", kd, xd[3])
		}
	} else if kd[3] != xd[3] {
		return nil, fmt.Errorf("kernel %v for %d input channels", kd, xd[3])
	}
	paddings := [][2]int{{0, 0}, {0, 0}}
	if pad == PaddingSame {
		paddings = [][2]int{samePadding(xd[1], kd[1], sh, dh), samePadding(xd[2], kd[2], sw, dw)}
	}
	var y *graph.Node
	switch {
	case b.net.NativeConv:
		y = graph.ConvGeneral(x, k, axes, []int{sh, sw}, paddings, nil, []int{dh, dw}, groups, 1)
	case depthwise && kd[3] == xd[3] && dh == 1 && dw == 1 && b.net.taps == tapsByCrop &&
		x.Graph().Backend().String() == gobackend.BackendName:
		// The go backend runs a depthwise ConvGeneral with a [KH, KW, 1, C] kernel in one pass
		// (posedistill's fork of gomlx/compute, third_party/gomlx-compute/FORK.md).
		nhwc := compute.ConvolveAxesConfig{
			InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
			KernelSpatial: []int{0, 1}, KernelInputChannels: 2, KernelOutputChannels: 3,
			OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
		}
		y = graph.ConvGeneral(x, graph.Reshape(k, kd[1], kd[2], 1, kd[3]), nhwc, []int{sh, sw}, paddings, nil, nil, xd[3], 1)
	case depthwise && kd[3] == xd[3]:
		kc, ok := b.constant(op.Inputs[1])
		if !ok {
			return nil, fmt.Errorf("kernel %q is not a usable constant", b.net.sg.Tensors[op.Inputs[1]].Name)
		}
		if b.net.taps == tapsBySlice {
			y, err = convTaps(x, kc, [2]int{sh, sw}, [2]int{dh, dw}, paddings)
		} else {
			y, err = convPadTaps(x, kc, [2]int{sh, sw}, [2]int{dh, dw}, paddings, b.net.taps)
		}
		if err != nil {
			return nil, err
		}
	case depthwise:
		y = graph.ConvGeneral(x, k, axes, []int{sh, sw}, paddings, nil, []int{dh, dw}, groups, 1)
	default:
		y = convIm2col(x, k, [2]int{sh, sw}, [2]int{dh, dw}, paddings, b.net.taps)
	}
	if len(op.Inputs) > 2 && op.Inputs[2] >= 0 {
		if c, ok := b.constant(op.Inputs[2]); ok && len(c.vals) == y.Shape().Dimensions[3] {
			if y, err = perChannel(y, c.vals, graph.Add); err != nil {
				return nil, err
			}
		} else {
			bias, err := b.value(op.Inputs[2])
			if err != nil {
				return nil, err
			}
			if y, err = broadcastAdd(y, bias); err != nil {
				return nil, err
			}
		}
	}
	return activate(y, a), nil
}

// maxPool builds MAX_POOL_2D; SAME padding ignores the padded cells, as TFLite does.
func (b *builder) maxPool(o *Pool2DOptions, x *graph.Node) (*graph.Node, error) {
	if x.Rank() != 4 || o.FilterHeight < 1 || o.FilterWidth < 1 || o.StrideH < 1 || o.StrideW < 1 {
		return nil, fmt.Errorf("bad pool: input rank %d, filter %d×%d, strides %d×%d",
			x.Rank(), o.FilterHeight, o.FilterWidth, o.StrideH, o.StrideW)
	}
	p := graph.MaxPool(x).ChannelsAxis(images.ChannelsLast).
		WindowPerAxis(o.FilterHeight, o.FilterWidth).StridePerAxis(o.StrideH, o.StrideW)
	if o.Padding == PaddingSame {
		d := x.Shape().Dimensions
		p = p.PaddingPerDim([][2]int{samePadding(d[1], o.FilterHeight, o.StrideH, 1), samePadding(d[2], o.FilterWidth, o.StrideW, 1)})
	} else {
		p = p.NoPadding()
	}
	return activate(p.Done(), o.Activation), nil
}

// pad builds PAD with a constant [rank, 2] paddings tensor, filling with zeros.
func (b *builder) pad(op Operator, x *graph.Node) (*graph.Node, error) {
	c := b.net.consts[op.Inputs[1]]
	if len(c.vals) != 2*x.Rank() {
		return nil, fmt.Errorf("paddings has %d values for rank %d", len(c.vals), x.Rank())
	}
	axes := make([]graph.PadAxis, x.Rank())
	for i := range axes {
		lo, hi := int(c.vals[2*i]), int(c.vals[2*i+1])
		if lo < 0 || hi < 0 {
			return nil, fmt.Errorf("negative padding %d, %d on axis %d", lo, hi, i)
		}
		axes[i] = graph.PadAxis{Start: lo, End: hi}
	}
	return graph.Pad(x, graph.ScalarZero(x.Graph(), x.DType()), axes...), nil
}

// depthToSpace builds DEPTH_TO_SPACE (NHWC, TensorFlow's DCR order): output[n, h·b+i, w·b+j, c]
// = input[n, h, w, (i·b+j)·C + c].
func depthToSpace(x *graph.Node, block int) (*graph.Node, error) {
	d := x.Shape().Dimensions
	if x.Rank() != 4 || d[3]%(block*block) != 0 {
		return nil, fmt.Errorf("input %v not divisible into %d×%d blocks", d, block, block)
	}
	c := d[3] / (block * block)
	y := graph.Reshape(x, d[0], d[1], d[2], block, block, c)
	y = graph.TransposeAllDims(y, 0, 1, 3, 2, 4, 5)
	return graph.Reshape(y, d[0], d[1]*block, d[2]*block, c), nil
}
