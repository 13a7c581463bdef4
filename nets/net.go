package nets

import (
	"fmt"
	"strings"

	"github.com/posedistill/posedistill/nets/layers"
)

// Op is the kind of a Layer.
type Op string

// The layer kinds.
const (
	// OpConv is a k×k convolution with stride and groups (depthwise when Groups equals the input and
	// output channels), optionally followed by batch norm and an activation.
	OpConv Op = "conv"
	// OpDeconv is a 4×4, stride 2, padding 1 transposed convolution (2× upsampling), optionally followed
	// by batch norm and an activation.
	OpDeconv Op = "deconv"
	// OpAdd is the element-wise sum of its inputs (same shapes), optionally followed by an activation.
	OpAdd Op = "add"
	// OpConcat concatenates its inputs (same height and width) on the channel axis.
	OpConcat Op = "concat"
	// OpUpsample doubles height and width with Resize interpolation.
	OpUpsample Op = "upsample"
	// OpMaxPool is a Kernel×Kernel max pooling with Stride and padding (Kernel−1)/2 (none for the
	// 2×2 stride-2 pooling of imported TensorFlow models).
	OpMaxPool Op = "maxpool"
	// OpPad appends zero channels to its input up to Out channels (TensorFlow models' channel
	// padding of a residual shortcut whose block widens the channels).
	OpPad Op = "pad"
)

// Input is the name by which layers refer to the network's input image.
const Input = "input"

// Layer is one node of a network description. Its Name is unique in the network and is also the GoMLX
// scope of its variables (see package layers for their names).
type Layer struct {
	Name   string            `json:"name"`
	Op     Op                `json:"op"`
	Inputs []string          `json:"inputs"`           // names of earlier layers, or Input
	Out    int               `json:"out,omitempty"`    // output channels (OpConv, OpDeconv, OpPad)
	Kernel int               `json:"kernel,omitempty"` // kernel size (OpConv, OpMaxPool); 0 means 1
	Stride int               `json:"stride,omitempty"` // stride (OpConv, OpMaxPool); 0 means 1
	Groups int               `json:"groups,omitempty"` // channel groups (OpConv); 0 means 1
	BN     bool              `json:"bn,omitempty"`     // batch norm after OpConv / OpDeconv
	Bias   bool              `json:"bias,omitempty"`   // learned bias (OpConv / OpDeconv)
	Act    layers.Activation `json:"act,omitempty"`
	Resize layers.Resize     `json:"resize,omitempty"` // OpUpsample interpolation
	// Pad is the padding of an OpConv: "" (Kernel−1)/2 on each side, PadSame, TensorFlow's
	// "SAME" (the same output size; a strided convolution of an even size pads only after it), or
	// PadValid, none (any kernel size, even ones included), for networks imported from TensorFlow
	// models.
	Pad string `json:"pad,omitempty"`
}

// Layer.Pad's paddings besides the default.
const (
	// PadSame is TensorFlow's "SAME" padding.
	PadSame = "same"
	// PadValid is no padding (TensorFlow's "VALID"): an imported model's 2×2 convolution of a 2×2
	// feature map into one vector of landmarks.
	PadValid = "valid"
)

// Heads names the layers whose outputs are the network's outputs. Heatmaps is required; the others
// are empty when the network has no such output.
type Heads struct {
	Heatmaps  string `json:"heatmaps"`            // [N, H/4, W/4, Joints] heatmaps
	Locations string `json:"locations,omitempty"` // [N, H/4, W/4, 3·Joints]: X of every joint, then Y, then Z
	Mask      string `json:"mask,omitempty"`      // [N, H/4, W/4, 1] person segmentation logits
	// Offsets is MoveNet's offset head, [N, H/4, W/4, 2·Joints]: at every heatmap cell, joint k's
	// position relative to the cell, in heatmap cells, y in channel 2k and x in 2k+1. The codec's
	// MoveNet kind decodes a joint as its heatmap's arg-max cell plus that cell's offset
	// (codec.Codec.DecodeOffsets).
	Offsets string `json:"offsets,omitempty"`
	// Regression is MoveNet's keypoint regression head, [N, H/4, W/4, 2·Joints]: at a person's
	// centre cell, joint k's position relative to it, in cells (y in 2k, x in 2k+1). With the
	// centre logits (MoveNet's centre head is an imported MoveNet's Mask head), MoveNet's decoding
	// weights each heatmap by the distance to the regressed joint before its arg-max.
	Regression string `json:"regression,omitempty"`
	// Extra names further outputs whose decoding is model-specific: an imported model's landmark
	// vectors (BlazePose's 1×1×195 landmarks, 1×1×117 world landmarks, 1×1×1 pose flag), decoded
	// by the model's own package. Training and compression keep them; the heatmap codec does not
	// read them.
	Extra []string `json:"extra,omitempty"`
}

// Net is a network description: a directed acyclic graph of layers in topological order (every layer's
// inputs come before it), plus which layers are the outputs. It is plain data: build it with the
// architecture constructors, rewrite it (prune, factorize), count it, build a GoMLX graph from it, or
// marshal it to JSON (the field tags are the file format; testdata/torch_net.py reads it).
type Net struct {
	Name          string `json:"name"`
	InputChannels int    `json:"input_channels"` // channels of the input image (3)
	// InputMultiple is the number the input height and width must be multiples of, so that every
	// stride and upsampling lines up and the heads come out at 1/4 of the input.
	InputMultiple int     `json:"input_multiple"`
	Joints        int     `json:"joints"`
	Layers        []Layer `json:"layers"`
	Heads         Heads   `json:"heads"`
}

// Limits on descriptions, far above any real pose network, that keep every count within int64.
const (
	MaxChannels = 1 << 14 // channels of any layer
	MaxKernel   = 15      // kernel size
	MaxStride   = 16
	MaxSize     = 1 << 16 // height or width of any layer's output
)

// Shape is the height, width and channels of a layer's output for one image.
type Shape struct{ H, W, C int }

// Shapes validates the description and returns every layer's output shape (by name, plus Input) for
// an inputH×inputW image.
func (n *Net) Shapes(inputH, inputW int) (map[string]Shape, error) {
	if n.InputChannels < 1 || n.InputChannels > MaxChannels {
		return nil, fmt.Errorf("net %s: %d input channels", n.Name, n.InputChannels)
	}
	if inputH < 1 || inputW < 1 || inputH > MaxSize || inputW > MaxSize {
		return nil, fmt.Errorf("net %s: input size %dx%d", n.Name, inputH, inputW)
	}
	if m := n.InputMultiple; m > 1 && (inputH%m != 0 || inputW%m != 0) {
		return nil, fmt.Errorf("net %s: input %dx%d is not a multiple of %d", n.Name, inputH, inputW, m)
	}
	shapes := map[string]Shape{Input: {inputH, inputW, n.InputChannels}}
	for i := range n.Layers {
		l := &n.Layers[i]
		s, err := layerShape(l, shapes)
		if err == nil && (s.H > MaxSize || s.W > MaxSize || s.C > MaxChannels) {
			err = fmt.Errorf("output %dx%dx%d exceeds the limits (%d pixels, %d channels)", s.H, s.W, s.C, MaxSize, MaxChannels)
		}
		if err != nil {
			return nil, fmt.Errorf("net %s: layer %d %q: %w", n.Name, i, l.Name, err)
		}
		shapes[l.Name] = s
	}
	for _, h := range []struct{ kind, name string }{{"heatmaps", n.Heads.Heatmaps}, {"locations", n.Heads.Locations}, {"mask", n.Heads.Mask},
		{"offsets", n.Heads.Offsets}, {"regression", n.Heads.Regression}} {
		if h.name == "" {
			if h.kind == "heatmaps" {
				return nil, fmt.Errorf("net %s: no heatmap head", n.Name)
			}
			continue
		}
		s, ok := shapes[h.name]
		if !ok || h.name == Input {
			return nil, fmt.Errorf("net %s: %s head %q is not a layer", n.Name, h.kind, h.name)
		}
		want := map[string]int{"heatmaps": n.Joints, "locations": 3 * n.Joints, "mask": 1, "offsets": 2 * n.Joints, "regression": 2 * n.Joints}[h.kind]
		if s.C != want {
			return nil, fmt.Errorf("net %s: %s head %q has %d channels, want %d", n.Name, h.kind, h.name, s.C, want)
		}
	}
	for _, name := range n.Heads.Extra {
		if _, ok := shapes[name]; !ok || name == Input {
			return nil, fmt.Errorf("net %s: extra head %q is not a layer", n.Name, name)
		}
	}
	return shapes, nil
}

// layerShape checks one layer against the shapes of the layers before it and returns its output shape.
func layerShape(l *Layer, shapes map[string]Shape) (Shape, error) {
	if l.Name == "" || strings.Contains(l.Name, "/") || l.Name == Input {
		return Shape{}, fmt.Errorf("invalid name %q", l.Name)
	}
	if _, dup := shapes[l.Name]; dup {
		return Shape{}, fmt.Errorf("duplicate name %q", l.Name)
	}
	if len(l.Inputs) == 0 {
		return Shape{}, fmt.Errorf("no inputs")
	}
	ins := make([]Shape, len(l.Inputs))
	for i, name := range l.Inputs {
		s, ok := shapes[name]
		if !ok {
			return Shape{}, fmt.Errorf("input %q is not an earlier layer", name)
		}
		ins[i] = s
	}
	if !l.Act.Valid() {
		return Shape{}, fmt.Errorf("unknown activation %q", string(l.Act))
	}
	one := func() (Shape, error) {
		if len(ins) != 1 {
			return Shape{}, fmt.Errorf("%s takes one input, got %d", l.Op, len(ins))
		}
		return ins[0], nil
	}
	switch l.Op {
	case OpConv:
		in, err := one()
		if err != nil {
			return Shape{}, err
		}
		k, s, g := l.KernelSize(), l.StrideSize(), l.GroupCount()
		if k < 1 || k > MaxKernel || s < 1 || s > MaxStride || g < 1 || l.Out < 1 || l.Out > MaxChannels || (k%2 == 0 && l.Pad != PadValid) {
			return Shape{}, fmt.Errorf("conv needs a kernel in [1, %d] (odd unless padding is %q), stride in [1, %d], groups ≥ 1, out in [1, %d] (got %d, %d, %d, %d)",
				MaxKernel, PadValid, MaxStride, MaxChannels, k, s, g, l.Out)
		}
		if l.Pad != "" && l.Pad != PadSame && l.Pad != PadValid {
			return Shape{}, fmt.Errorf("conv padding %q: want \"\", %q or %q", l.Pad, PadSame, PadValid)
		}
		if in.C%g != 0 || l.Out%g != 0 {
			return Shape{}, fmt.Errorf("%d input and %d output channels do not split into %d groups", in.C, l.Out, g)
		}
		p := (k - 1) / 2
		if l.Pad == PadValid {
			p = 0
		}
		out := Shape{(in.H+2*p-k)/s + 1, (in.W+2*p-k)/s + 1, l.Out}
		if out.H < 1 || out.W < 1 {
			return Shape{}, fmt.Errorf("input %dx%d too small", in.H, in.W)
		}
		return out, nil
	case OpMaxPool:
		in, err := one()
		if err != nil {
			return Shape{}, err
		}
		k, s := l.KernelSize(), l.StrideSize()
		if k < 1 || k > MaxKernel || s < 1 || s > MaxStride || (k%2 == 0 && k != s) {
			return Shape{}, fmt.Errorf("maxpool needs a kernel in [1, %d], odd or equal to the stride, and stride in [1, %d] (got %d, %d)", MaxKernel, MaxStride, k, s)
		}
		p := (k - 1) / 2
		out := Shape{(in.H+2*p-k)/s + 1, (in.W+2*p-k)/s + 1, in.C}
		if out.H < 1 || out.W < 1 {
			return Shape{}, fmt.Errorf("input %dx%d too small", in.H, in.W)
		}
		return out, nil
	case OpPad:
		in, err := one()
		if err != nil {
			return Shape{}, err
		}
		if l.Out < in.C || l.Out > MaxChannels {
			return Shape{}, fmt.Errorf("pad needs out in [%d, %d] (its input's channels and up), got %d", in.C, MaxChannels, l.Out)
		}
		return Shape{in.H, in.W, l.Out}, nil
	case OpDeconv:
		in, err := one()
		if err != nil {
			return Shape{}, err
		}
		if l.Out < 1 || l.Out > MaxChannels {
			return Shape{}, fmt.Errorf("deconv needs out in [1, %d], got %d", MaxChannels, l.Out)
		}
		return Shape{2 * in.H, 2 * in.W, l.Out}, nil
	case OpUpsample:
		in, err := one()
		if err != nil {
			return Shape{}, err
		}
		if !l.Resize.Valid() {
			return Shape{}, fmt.Errorf("unknown resize %q", string(l.Resize))
		}
		return Shape{2 * in.H, 2 * in.W, in.C}, nil
	case OpAdd:
		for _, s := range ins[1:] {
			if s != ins[0] {
				return Shape{}, fmt.Errorf("add of different shapes %v and %v", ins[0], s)
			}
		}
		return ins[0], nil
	case OpConcat:
		out := ins[0]
		for _, s := range ins[1:] {
			if s.H != out.H || s.W != out.W {
				return Shape{}, fmt.Errorf("concat of different sizes %v and %v", out, s)
			}
			out.C += s.C
		}
		return out, nil
	}
	return Shape{}, fmt.Errorf("unknown op %q", string(l.Op))
}

// KernelSize returns the kernel size, 1 when unset.
func (l *Layer) KernelSize() int { return orOne(l.Kernel) }

// StrideSize returns the stride, 1 when unset.
func (l *Layer) StrideSize() int { return orOne(l.Stride) }

// GroupCount returns the number of groups, 1 when unset.
func (l *Layer) GroupCount() int { return orOne(l.Groups) }

func orOne(v int) int {
	if v == 0 {
		return 1
	}
	return v
}
