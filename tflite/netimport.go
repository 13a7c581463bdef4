package tflite

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/nets/layers"
)

// NetPart is a TFLite model's network translated into the project's network description, with
// its weights as values of the description's variables: built by package nets it runs through the
// same lowered layers as the networks posedistill builds, and it can be trained, pruned,
// quantized, exported and counted like them.
type NetPart struct {
	Net *nets.Net
	// Weights are the values of Net's variables by path: "/<layer>/weights" [k, k, in/groups, out]
	// and "/<layer>/biases" [out], as package nets/layers names them.
	Weights map[string]Weight
	// Outputs names, for every output of the model in order, the layers whose values it holds,
	// flattened and concatenated in that order: a model output that RESHAPEs a layer (BlazePose's
	// [1, 1, 1, 195] landmarks to [1, 195]) holds that one layer's values in the same order; one
	// that CONCATENATEs such reshapes (the pose detector's per-level [1, 28·28·2, 12] regressors
	// into [1, 2254, 12]) holds theirs one after the other. Decoding them is the model's own
	// package's work.
	Outputs [][]string
}

// Weight is the value of one variable of an imported network.
type Weight struct {
	Shape  []int
	Values []float32
}

// ImportNet translates the network into a nets.Net named name, exact for the model's input size:
// convolutions (regular and depthwise, with their bias and fused ReLU / ReLU6), spatial PADs in
// front of a VALID convolution (folded into its padding), channel PADs, sums, 2× bilinear resizes,
// 2×2 stride-2 max pooling, and a LOGISTIC of a convolution (its activation) translate; so does
// a DEPTH_TO_SPACE (block b) read through a spatial PAD by depthwise convolutions of stride b (the
// pose detector's feature pyramid): each becomes a depthwise convolution of the DEPTH_TO_SPACE's
// input, b² times the channels, stride 1, whose b² channel blocks the 1×1 convolution reading it
// sums in its weights (or, read by anything else, a 1×1 block-summing layer). RESHAPEs of layers
// into model outputs, and CONCATENATIONs of them that are model outputs, are left to the caller's
// decoding (NetPart.Outputs); any other operator is refused by name. heatmaps and mask index the
// layers holding the model's outputs, counted in the order of NetPart.Outputs (for a model whose
// outputs each hold one layer, the output's index); they become the description's heatmap and
// mask heads (mask −1 for none), the other layers its extra heads, in order. The description's
// joints are the heatmap head's channels and its input multiple the model's input size (the
// padding of its strided layers is chosen for that size).
func (n *Network) ImportNet(name string, heatmaps, mask int) (*NetPart, error) {
	fail := func(format string, a ...any) (*NetPart, error) {
		return nil, fmt.Errorf("tflite import net: "+format, a...)
	}
	if len(n.sg.Inputs) != 1 {
		return fail("%d inputs, want 1", len(n.sg.Inputs))
	}
	in := n.sg.Tensors[n.sg.Inputs[0]]
	if len(in.Shape) != 4 || in.Shape[0] != 1 || in.Shape[1] != in.Shape[2] {
		return fail("input %q has shape %v, want [1, S, S, C]", in.Name, in.Shape)
	}
	im := &importer{net: n, layer: map[int]string{n.sg.Inputs[0]: nets.Input}, pads: map[int]spatialPad{},
		readers: map[int]int{}, d2s: map[int]d2sOf{}, sums: map[int]blockSum{}, flat: map[int][]string{}, chans: map[string]int{},
		part: &NetPart{Weights: map[string]Weight{}}}
	for _, i := range n.ops {
		for _, t := range n.sg.Operators[i].Inputs {
			if t >= 0 {
				im.readers[t]++
			}
		}
	}
	for _, t := range n.sg.Outputs {
		im.readers[t]++
	}
	for _, i := range n.ops {
		op := n.sg.Operators[i]
		code := n.model.OperatorCodes[op.OpcodeIndex]
		if err := im.op(i, op, code.Builtin); err != nil {
			return fail("operator %d %s: %w", i, opName(code), err)
		}
	}
	var held []string
	for k, t := range n.sg.Outputs {
		ls, ok := im.flat[t]
		if !ok {
			l, err := im.layerOf(t)
			if err != nil || l == nets.Input {
				return fail("output %d %q is not the value of a translated layer", k, n.sg.Tensors[t].Name)
			}
			ls = []string{l}
		}
		im.part.Outputs = append(im.part.Outputs, ls)
		held = append(held, ls...)
	}
	if heatmaps < 0 || heatmaps >= len(held) || mask >= len(held) || mask == heatmaps {
		return fail("heads %d (heatmaps) and %d (mask) of %d layers holding the outputs", heatmaps, mask, len(held))
	}
	net := &nets.Net{Name: name, InputChannels: in.Shape[3], InputMultiple: in.Shape[1], Layers: im.layers}
	for k, l := range held {
		switch k {
		case heatmaps:
			net.Heads.Heatmaps = l
		case mask:
			net.Heads.Mask = l
		default:
			net.Heads.Extra = append(net.Heads.Extra, l)
		}
	}
	net.Joints = im.chans[net.Heads.Heatmaps]
	if _, err := net.Shapes(in.Shape[1], in.Shape[2]); err != nil {
		return fail("%w", err)
	}
	im.part.Net = net
	return im.part, nil
}

// importer holds the state of one ImportNet.
type importer struct {
	net     *Network
	layer   map[int]string     // tensor → the layer whose output it is
	pads    map[int]spatialPad // tensor → the spatial PAD it is, left for the convolution that reads it
	readers map[int]int        // tensor → operators and model outputs reading it
	d2s     map[int]d2sOf      // tensor → the DEPTH_TO_SPACE it is, left for the depthwise convolutions reading it
	sums    map[int]blockSum   // tensor → the channel-block sum it is, left for the 1×1 convolution reading it
	flat    map[int][]string   // tensor → the layers whose flattened values it holds (RESHAPE, CONCATENATION)
	chans   map[string]int     // layer → its output channels
	layers  []nets.Layer
	part    *NetPart
}

// d2sOf is a DEPTH_TO_SPACE of tensor from with block size block: out[b·y+dy, b·x+dx, c] =
// from[y, x, (b·dy+dx)·C + c].
type d2sOf struct {
	from, block int
}

// blockSum is the value of a depthwise convolution of a DEPTH_TO_SPACE, as the sum over the
// channel blocks of layer (blocks of channels each) plus bias, then act.
type blockSum struct {
	layer    string
	blocks   int
	channels int
	bias     []float32
	act      layers.Activation
}

// spatialPad is a PAD of the height and width of tensor from: [top, bottom], [left, right].
type spatialPad struct {
	from int
	p    [2][2]int
}

// layerOf returns the layer whose output tensor t is. A channel-block sum (see blockSum) read by
// anything but a 1×1 convolution becomes a 1×1 convolution summing the blocks.
func (im *importer) layerOf(t int) (string, error) {
	if l, ok := im.layer[t]; ok {
		return l, nil
	}
	if bs, ok := im.sums[t]; ok {
		name := bs.layer + "_sum"
		c := bs.channels
		w := make([]float32, bs.blocks*c*c)
		for m := range bs.blocks * c {
			w[m*c+m%c] = 1
		}
		im.part.Weights["/"+name+"/weights"] = Weight{Shape: []int{1, 1, bs.blocks * c, c}, Values: w}
		im.part.Weights["/"+name+"/biases"] = Weight{Shape: []int{c}, Values: append([]float32(nil), bs.bias...)}
		im.add(nets.Layer{Name: name, Op: nets.OpConv, Inputs: []string{bs.layer}, Out: c, Bias: true, Act: bs.act}, t)
		delete(im.sums, t)
		return name, nil
	}
	if _, ok := im.d2s[t]; ok {
		return "", fmt.Errorf("tensor %q (a DEPTH_TO_SPACE) is read by an operator other than a spatial PAD and depthwise convolutions of its block's stride: %w", im.net.sg.Tensors[t].Name, ErrUnsupported)
	}
	if _, ok := im.flat[t]; ok {
		return "", fmt.Errorf("tensor %q (a RESHAPE or CONCATENATION of layers) is read by an operator other than a CONCATENATION into a model output: %w", im.net.sg.Tensors[t].Name, ErrUnsupported)
	}
	if _, ok := im.pads[t]; ok {
		return "", fmt.Errorf("tensor %q (a spatial PAD) is read by an operator other than a VALID convolution: %w", im.net.sg.Tensors[t].Name, ErrUnsupported)
	}
	return "", fmt.Errorf("tensor %q is not the output of a translated layer", im.net.sg.Tensors[t].Name)
}

// shape returns the model's shape of tensor t, which must be [1, H, W, C].
func (im *importer) shape(t int) ([4]int, error) {
	s := im.net.sg.Tensors[t].Shape
	if len(s) != 4 || s[0] != 1 {
		return [4]int{}, fmt.Errorf("tensor %q has shape %v, want [1, H, W, C]", im.net.sg.Tensors[t].Name, s)
	}
	return [4]int{s[0], s[1], s[2], s[3]}, nil
}

// weight returns the float values of constant tensor t.
func (im *importer) weight(t int) (*constant, error) {
	c, ok := im.net.consts[t]
	if !ok {
		return nil, fmt.Errorf("tensor %q is not a constant: %w", im.net.sg.Tensors[t].Name, ErrUnsupported)
	}
	return dequantize(&im.net.sg.Tensors[t], c)
}

// add appends layer l, the value of tensor out.
func (im *importer) add(l nets.Layer, out int) {
	im.layers = append(im.layers, l)
	im.layer[out] = l.Name
	if s := im.net.sg.Tensors[out].Shape; len(s) == 4 {
		im.chans[l.Name] = s[3]
	}
}

// act translates a fused activation.
func act(a Activation) (layers.Activation, error) {
	switch a {
	case ActNone:
		return layers.Linear, nil
	case ActRelu:
		return layers.ReLU, nil
	case ActRelu6:
		return layers.ReLU6, nil
	}
	return "", fmt.Errorf("fused activation %v: %w", a, ErrUnsupported)
}

// op translates one operator.
func (im *importer) op(i int, op Operator, code BuiltinOperator) error {
	out := op.Outputs[0]
	name := fmt.Sprintf("%s%d", map[BuiltinOperator]string{OpConv2D: "conv", OpDepthwiseConv: "dw", OpAdd: "add",
		OpPad: "pad", OpResizeBilinear: "up", OpMaxPool2D: "pool", OpReshape: "reshape", OpConcatenation: "concat", OpDepthToSpace: "d2s"}[code], i)
	switch code {
	case OpConv2D, OpDepthwiseConv:
		return im.conv(name, op, code == OpDepthwiseConv)
	case OpAdd:
		a, err := im.layerOf(op.Inputs[0])
		if err != nil {
			return err
		}
		b, err := im.layerOf(op.Inputs[1])
		if err != nil {
			return err
		}
		sa, _ := im.shape(op.Inputs[0])
		sb, _ := im.shape(op.Inputs[1])
		if sa != sb {
			return fmt.Errorf("a sum of shapes %v and %v (broadcasting): %w", sa, sb, ErrUnsupported)
		}
		ac := ActNone
		if o, ok := op.Options.(*AddOptions); ok {
			ac = o.Activation
		}
		f, err := act(ac)
		if err != nil {
			return err
		}
		im.add(nets.Layer{Name: name, Op: nets.OpAdd, Inputs: []string{a, b}, Act: f}, out)
		return nil
	case OpPad:
		_, isD2S := im.d2s[op.Inputs[0]]
		var x string
		if !isD2S {
			var err error
			if x, err = im.layerOf(op.Inputs[0]); err != nil {
				return err
			}
		}
		c, err := im.weight(op.Inputs[1])
		if err != nil {
			return err
		}
		if len(c.vals) != 8 {
			return fmt.Errorf("paddings of %d values, want [4, 2]", len(c.vals))
		}
		var p [4][2]int
		for a := range 4 {
			p[a] = [2]int{int(c.vals[2*a]), int(c.vals[2*a+1])}
			if p[a][0] < 0 || p[a][1] < 0 {
				return fmt.Errorf("negative padding %v", p[a])
			}
		}
		switch {
		case p[0] == [2]int{} && p[3] == [2]int{}:
			// Left for the convolution that reads it (x is its input's layer).
			im.pads[out] = spatialPad{from: op.Inputs[0], p: [2][2]int{p[1], p[2]}}
		case p[0] == [2]int{} && p[1] == [2]int{} && p[2] == [2]int{} && p[3][0] == 0 && !isD2S:
			s, err := im.shape(out)
			if err != nil {
				return err
			}
			im.add(nets.Layer{Name: name, Op: nets.OpPad, Inputs: []string{x}, Out: s[3]}, out)
		default:
			return fmt.Errorf("padding %v (only height and width, or channels after): %w", p, ErrUnsupported)
		}
		return nil
	case OpResizeBilinear:
		x, err := im.layerOf(op.Inputs[0])
		if err != nil {
			return err
		}
		o, _ := op.Options.(*ResizeBilinearOptions)
		si, err := im.shape(op.Inputs[0])
		if err != nil {
			return err
		}
		so, err := im.shape(out)
		if err != nil {
			return err
		}
		if o == nil || o.AlignCorners || !o.HalfPixelCenters || so[1] != 2*si[1] || so[2] != 2*si[2] {
			return fmt.Errorf("only a 2× resize with half-pixel centers translates: %w", ErrUnsupported)
		}
		im.add(nets.Layer{Name: name, Op: nets.OpUpsample, Inputs: []string{x}, Resize: layers.Bilinear}, out)
		return nil
	case OpMaxPool2D:
		x, err := im.layerOf(op.Inputs[0])
		if err != nil {
			return err
		}
		o := op.Options.(*Pool2DOptions)
		si, err := im.shape(op.Inputs[0])
		if err != nil {
			return err
		}
		k := o.FilterHeight
		if o.FilterWidth != k || o.StrideH != k || o.StrideW != k || o.Activation != ActNone || si[1]%k != 0 || si[2]%k != 0 {
			return fmt.Errorf("pool %d×%d stride %d×%d on %d×%d (only k×k, stride k, dividing the input): %w",
				o.FilterHeight, o.FilterWidth, o.StrideH, o.StrideW, si[1], si[2], ErrUnsupported)
		}
		im.add(nets.Layer{Name: name, Op: nets.OpMaxPool, Inputs: []string{x}, Kernel: k, Stride: k}, out)
		return nil
	case OpLogistic:
		// A sigmoid of a convolution with no activation, read by nothing else, is its activation.
		x, err := im.layerOf(op.Inputs[0])
		if err != nil {
			return err
		}
		l := &im.layers[len(im.layers)-1]
		if l.Name != x || l.Op != nets.OpConv || l.Act != layers.Linear || im.readers[op.Inputs[0]] != 1 {
			return fmt.Errorf("only the sigmoid of the convolution just before it translates: %w", ErrUnsupported)
		}
		l.Act = layers.Sigmoid
		im.layer[out] = x
		return nil
	case OpReshape:
		// The same values in the same order: left for a CONCATENATION or the caller's decoding.
		x, err := im.layerOf(op.Inputs[0])
		if err != nil {
			return err
		}
		im.flat[out] = []string{x}
		return nil
	case OpConcatenation:
		// Of RESHAPEd layers with batch 1 along an axis after only axes of length 1: the flat
		// values one after the other.
		o, _ := op.Options.(*ConcatenationOptions)
		s := im.net.sg.Tensors[out].Shape
		if o == nil || o.Activation != ActNone {
			return fmt.Errorf("a concatenation with an activation: %w", ErrUnsupported)
		}
		axis := o.Axis
		if axis < 0 {
			axis += len(s)
		}
		if axis < 0 || axis >= len(s) || numElements(s[:axis]) != 1 {
			return fmt.Errorf("concatenation of shape %v along axis %d (only after axes of length 1): %w", s, o.Axis, ErrUnsupported)
		}
		var ls []string
		for _, t := range op.Inputs {
			f, ok := im.flat[t]
			if !ok {
				return fmt.Errorf("input %q is not a RESHAPE of layers (only those concatenate): %w", im.net.sg.Tensors[t].Name, ErrUnsupported)
			}
			ls = append(ls, f...)
		}
		im.flat[out] = ls
		return nil
	case OpDepthToSpace:
		o, _ := op.Options.(*DepthToSpaceOptions)
		si, err := im.shape(op.Inputs[0])
		if err != nil {
			return err
		}
		if _, err := im.layerOf(op.Inputs[0]); err != nil {
			return err
		}
		if o == nil || o.BlockSize < 2 || si[3]%(o.BlockSize*o.BlockSize) != 0 {
			return fmt.Errorf("block size of %v channels: %w", si[3], ErrUnsupported)
		}
		// Left for the depthwise convolutions that read it (through a spatial PAD).
		im.d2s[out] = d2sOf{from: op.Inputs[0], block: o.BlockSize}
		return nil
	}
	return fmt.Errorf("no layer of the network description: %w", ErrUnsupported)
}

// conv translates CONV_2D (kernel [O, KH, KW, I]) or DEPTHWISE_CONV_2D (kernel [1, KH, KW, C]).
func (im *importer) conv(name string, op Operator, depthwise bool) error {
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
	if sw != sh || sw < 1 || dw != 1 || dh != 1 {
		return fmt.Errorf("strides %d×%d, dilations %d×%d (only equal strides, no dilation): %w", sh, sw, dh, dw, ErrUnsupported)
	}
	f, err := act(a)
	if err != nil {
		return err
	}
	src := op.Inputs[0]
	var p [2][2]int
	if sp, ok := im.pads[src]; ok {
		if pad != PaddingValid {
			return fmt.Errorf("a SAME convolution of a PAD: %w", ErrUnsupported)
		}
		src, p = sp.from, sp.p
	}
	if d, ok := im.d2s[src]; ok {
		if !depthwise || sh != d.block || pad == PaddingSame {
			return fmt.Errorf("a convolution of a DEPTH_TO_SPACE other than a depthwise one of stride %d after a PAD: %w", d.block, ErrUnsupported)
		}
		return im.depthwiseOfD2S(name, op, d, p, f)
	}
	if bs, ok := im.sums[src]; ok && !depthwise && sh == 1 && p == [2][2]int{} && bs.act == layers.Linear {
		if done, err := im.convOfSum(name, op, bs, f); done || err != nil {
			return err
		}
	}
	x, si, so, k, err := im.convOperands(src, op)
	if err != nil {
		return err
	}
	kd := k.shape
	if len(kd) != 4 || kd[1] != kd[2] {
		return fmt.Errorf("kernel %v (only square kernels): %w", kd, ErrUnsupported)
	}
	kk := kd[1]
	if pad == PaddingSame {
		p = [2][2]int{samePadding(si[1], kk, sh, 1), samePadding(si[2], kk, sw, 1)}
	}
	l := nets.Layer{Name: name, Op: nets.OpConv, Inputs: []string{x}, Out: so[3], Kernel: kk, Stride: sh, Act: f}
	// The description's padding: symmetric (k−1)/2, TensorFlow's SAME, or none.
	sym := (kk - 1) / 2
	outOf := func(in, before, after int) int { return (in+before+after-kk)/sh + 1 }
	same := [2][2]int{samePadding(si[1], kk, sh, 1), samePadding(si[2], kk, sw, 1)}
	switch {
	case so[1] != outOf(si[1], p[0][0], p[0][1]) || so[2] != outOf(si[2], p[1][0], p[1][1]):
		return fmt.Errorf("output %v of a %v input with padding %v", so, si, p)
	case kk%2 == 1 && p[0][0] == sym && p[1][0] == sym && so[1] == outOf(si[1], sym, sym) && so[2] == outOf(si[2], sym, sym):
	case p == same && so[1] == (si[1]+sh-1)/sh && so[2] == (si[2]+sw-1)/sw:
		l.Pad = nets.PadSame
	case p == [2][2]int{} && so[1] == outOf(si[1], 0, 0) && so[2] == outOf(si[2], 0, 0):
		l.Pad = nets.PadValid
	default:
		return fmt.Errorf("padding %v of a %v input: %w", p, si, ErrUnsupported)
	}
	var w Weight
	if depthwise {
		if kd[0] != 1 || kd[3] != si[3] || so[3] != si[3] {
			return fmt.Errorf("depthwise kernel %v for %d channels (only multiplier 1): %w", kd, si[3], ErrUnsupported)
		}
		l.Groups = si[3]
		// [1, KH, KW, C] is [KH, KW, 1, C] in memory.
		w = Weight{Shape: []int{kk, kk, 1, kd[3]}, Values: append([]float32(nil), k.vals...)}
	} else {
		if kd[3] != si[3] || kd[0] != so[3] {
			return fmt.Errorf("kernel %v for %d input channels", kd, si[3])
		}
		// [O, KH, KW, I] → [KH, KW, I, O].
		o, r := kd[0], kk*kk*kd[3]
		t := make([]float32, len(k.vals))
		for a := range o {
			for j := range r {
				t[j*o+a] = k.vals[a*r+j]
			}
		}
		w = Weight{Shape: []int{kk, kk, kd[3], o}, Values: t}
	}
	im.part.Weights["/"+name+"/weights"] = w
	if len(op.Inputs) > 2 && op.Inputs[2] >= 0 {
		b, err := im.weight(op.Inputs[2])
		if err != nil {
			return err
		}
		if len(b.vals) != l.Out {
			return fmt.Errorf("bias of %d values for %d channels", len(b.vals), l.Out)
		}
		l.Bias = true
		im.part.Weights["/"+name+"/biases"] = Weight{Shape: []int{l.Out}, Values: append([]float32(nil), b.vals...)}
	}
	im.add(l, op.Outputs[0])
	return nil
}

// convOperands returns what translating a convolution of tensor src needs: the layer producing
// src, the input and output shapes and the kernel.
func (im *importer) convOperands(src int, op Operator) (x string, si, so [4]int, k *constant, err error) {
	if x, err = im.layerOf(src); err != nil {
		return
	}
	if si, err = im.shape(src); err != nil {
		return
	}
	if so, err = im.shape(op.Outputs[0]); err != nil {
		return
	}
	k, err = im.weight(op.Inputs[1])
	return
}

// depthwiseOfD2S translates a depthwise convolution of stride d.block reading DEPTH_TO_SPACE d
// through padding p: every tap (ky, kx) reads one channel block of d's input at a whole-cell
// offset, so it is a stride-1 depthwise convolution of that input over all its block·block·C
// channels (each channel's kernel holds the taps that read it, zero elsewhere), whose channel
// blocks sum to the result (left for the reader, see blockSum).
func (im *importer) depthwiseOfD2S(name string, op Operator, d d2sOf, p [2][2]int, act layers.Activation) error {
	x, si, so, k, err := im.convOperands(d.from, op)
	if err != nil {
		return err
	}
	b, bb := d.block, d.block*d.block
	c := si[3] / bb
	kd := k.shape
	if len(kd) != 4 || kd[0] != 1 || kd[1] != kd[2] || kd[3] != c || so[3] != c {
		return fmt.Errorf("depthwise kernel %v for %d channels (only square, multiplier 1): %w", kd, c, ErrUnsupported)
	}
	kk := kd[1]
	if so[1] != si[1] || so[2] != si[2] || (b*si[1]+p[0][0]+p[0][1]-kk)/b+1 != si[1] || (b*si[2]+p[1][0]+p[1][1]-kk)/b+1 != si[2] {
		return fmt.Errorf("output %v of a %d×%d DEPTH_TO_SPACE of %v padded by %v (only back to the input's size): %w", so, b, b, si, p, ErrUnsupported)
	}
	// Tap t of padding before reads block offset floor((t−before)/b), block row (t−before) mod b.
	split := func(t, before int) (off, in int) {
		r := t - before
		off = r / b
		if r%b < 0 {
			off--
		}
		return off, r - off*b
	}
	reach := 0
	for t := range kk {
		for _, before := range []int{p[0][0], p[1][0]} {
			off, _ := split(t, before)
			reach = max(reach, off, -off)
		}
	}
	kn := 2*reach + 1
	w := make([]float32, kn*kn*bb*c)
	for ky := range kk {
		oy, dy := split(ky, p[0][0])
		for kx := range kk {
			ox, dx := split(kx, p[1][0])
			for ch := range c {
				w[((oy+reach)*kn+ox+reach)*bb*c+(b*dy+dx)*c+ch] = k.vals[(ky*kk+kx)*c+ch]
			}
		}
	}
	bias := make([]float32, c)
	if len(op.Inputs) > 2 && op.Inputs[2] >= 0 {
		bv, err := im.weight(op.Inputs[2])
		if err != nil {
			return err
		}
		if len(bv.vals) != c {
			return fmt.Errorf("bias of %d values for %d channels", len(bv.vals), c)
		}
		copy(bias, bv.vals)
	}
	im.part.Weights["/"+name+"/weights"] = Weight{Shape: []int{kn, kn, 1, bb * c}, Values: w}
	im.layers = append(im.layers, nets.Layer{Name: name, Op: nets.OpConv, Inputs: []string{x}, Out: bb * c, Kernel: kn, Groups: bb * c, Act: layers.Linear})
	im.chans[name] = bb * c
	im.sums[op.Outputs[0]] = blockSum{layer: name, blocks: bb, channels: c, bias: bias, act: act}
	return nil
}

// convOfSum translates a 1×1 convolution of channel-block sum bs as a 1×1 convolution of its
// layer, the kernel repeated for every block and bs's bias folded into the convolution's. It
// reports false for other kernels.
func (im *importer) convOfSum(name string, op Operator, bs blockSum, act layers.Activation) (bool, error) {
	k, err := im.weight(op.Inputs[1])
	if err != nil {
		return false, err
	}
	kd, c := k.shape, bs.channels
	if len(kd) != 4 || kd[1] != 1 || kd[2] != 1 || kd[3] != c {
		return false, nil
	}
	o := kd[0]
	w := make([]float32, bs.blocks*c*o)
	bias := make([]float32, o)
	if len(op.Inputs) > 2 && op.Inputs[2] >= 0 {
		bv, err := im.weight(op.Inputs[2])
		if err != nil {
			return false, err
		}
		if len(bv.vals) != o {
			return false, fmt.Errorf("bias of %d values for %d channels", len(bv.vals), o)
		}
		copy(bias, bv.vals)
	}
	for a := range o {
		sum := float64(bias[a])
		for ch := range c {
			v := k.vals[a*c+ch]
			sum += float64(v) * float64(bs.bias[ch])
			for blk := range bs.blocks {
				w[(blk*c+ch)*o+a] = v
			}
		}
		bias[a] = float32(sum)
	}
	im.part.Weights["/"+name+"/weights"] = Weight{Shape: []int{1, 1, bs.blocks * c, o}, Values: w}
	im.part.Weights["/"+name+"/biases"] = Weight{Shape: []int{o}, Values: bias}
	im.add(nets.Layer{Name: name, Op: nets.OpConv, Inputs: []string{bs.layer}, Out: o, Bias: true, Act: act}, op.Outputs[0])
	return true, nil
}

// NewStore returns a store holding the imported weights as the description's variables.
func (p *NetPart) NewStore() (*model.Store, error) {
	store := model.NewStore()
	for path, w := range p.Weights {
		if _, err := store.CreateVariable(path, tensors.FromFlatDataAndDimensions(append([]float32(nil), w.Values...), w.Shape...)); err != nil {
			return nil, fmt.Errorf("tflite import net %s: variable %s: %w", p.Net.Name, path, err)
		}
	}
	return store, nil
}
