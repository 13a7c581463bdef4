package export

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/gomlx/compute-onnx/support/protos"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/nets/layers"
	"google.golang.org/protobuf/proto"
)

// ONNX versions written: IR version 8 (ONNX 1.10+) with the default-domain opset 13.
const (
	IRVersion = 8
	Opset     = 13
)

// ONNXOptions configures ONNX export.
type ONNXOptions struct {
	// Scope is the store scope the network was built under; empty for the root scope, as
	// nets.NewPredictor and nets.ModelFn build it.
	Scope string
	// Height and Width fix the input size; 0 leaves the dimension symbolic ("height", "width").
	Height, Width int
	// Batch fixes the batch size; 0 leaves it symbolic ("batch").
	Batch int
	// NCHW makes the input [N, C, H, W] and the outputs [N, C, H, W] (no Transpose nodes); by default
	// they are NHWC, as nets.Predictor takes and returns them.
	NCHW bool
	// Int8Weights stores every (folded) convolution kernel as int8 codes with a float32 scale per
	// output channel, dequantized by a DequantizeLinear node in front of the Conv (ONNX's "QDQ"
	// weight-only form, Folded.Int8): a 4× smaller file; activations stay float32.
	Int8Weights bool
	// Activations quantizes activations to uint8 in the QDQ format: the output of every layer named
	// here (after its activation function), and the input image when nets.Input is a key, is followed
	// by a QuantizeLinear / DequantizeLinear pair with that scale and zero point. With Int8Weights,
	// ONNX Runtime fuses these into integer kernels (QLinearConv, QLinearAdd, …).
	Activations map[string]ActQuant
}

// ONNX returns the ONNX model of net with the weights in store, serialized.
func ONNX(net *nets.Net, store *model.Store, opt ONNXOptions) ([]byte, error) {
	m, err := onnxModel(net, store, opt)
	if err != nil {
		return nil, err
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("onnx %s: marshal: %w", net.Name, err)
	}
	return b, nil
}

// WriteONNX writes the ONNX model of net with the weights in store to path, atomically.
func WriteONNX(path string, net *nets.Net, store *model.Store, opt ONNXOptions) error {
	b, err := ONNX(net, store, opt)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// onnxGraph accumulates the nodes and initializers of the graph being written.
type onnxGraph struct {
	g     *protos.GraphProto
	names map[string]bool
}

// node appends a node with a unique output name derived from name and returns that output.
func (b *onnxGraph) node(op, name string, inputs []string, attrs ...*protos.AttributeProto) string {
	out := b.unique(name)
	b.g.Node = append(b.g.Node, &protos.NodeProto{
		OpType: op, Name: out, Input: inputs, Output: []string{out}, Attribute: attrs,
	})
	return out
}

// unique returns name, or name with a numeric suffix if it is taken.
func (b *onnxGraph) unique(name string) string {
	n := name
	for i := 1; b.names[n]; i++ {
		n = fmt.Sprintf("%s_%d", name, i)
	}
	b.names[n] = true
	return n
}

// initializer adds a float32 constant and returns its name.
func (b *onnxGraph) initializer(name string, values []float32, dims ...int) string {
	name = b.unique(name)
	raw := make([]byte, 4*len(values))
	for i, v := range values {
		u := math.Float32bits(v)
		raw[4*i], raw[4*i+1], raw[4*i+2], raw[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	d := make([]int64, len(dims))
	for i, v := range dims {
		d[i] = int64(v)
	}
	b.g.Initializer = append(b.g.Initializer, &protos.TensorProto{
		Name: name, DataType: int32(protos.TensorProto_FLOAT), Dims: d, RawData: raw,
	})
	return name
}

// int64Initializer adds an int64 vector constant and returns its name.
func (b *onnxGraph) int64Initializer(name string, values ...int64) string {
	name = b.unique(name)
	raw := make([]byte, 8*len(values))
	for i, v := range values {
		for j := range 8 {
			raw[8*i+j] = byte(uint64(v) >> (8 * j))
		}
	}
	b.g.Initializer = append(b.g.Initializer, &protos.TensorProto{
		Name: name, DataType: int32(protos.TensorProto_INT64), Dims: []int64{int64(len(values))}, RawData: raw,
	})
	return name
}

// extraName is the name of the ONNX output of the net's i-th extra head (nets.Heads.Extra).
func extraName(i int) string { return fmt.Sprintf("extra%d", i) }

func intsAttr(name string, v ...int) *protos.AttributeProto {
	ints := make([]int64, len(v))
	for i, x := range v {
		ints[i] = int64(x)
	}
	return &protos.AttributeProto{Name: name, Type: protos.AttributeProto_INTS, Ints: ints}
}

func intAttr(name string, v int) *protos.AttributeProto {
	return &protos.AttributeProto{Name: name, Type: protos.AttributeProto_INT, I: int64(v)}
}

func stringAttr(name, v string) *protos.AttributeProto {
	return &protos.AttributeProto{Name: name, Type: protos.AttributeProto_STRING, S: []byte(v)}
}

// tensorValue returns a float32 ValueInfoProto with the given dimensions (a string is symbolic).
func tensorValue(name string, dims ...any) *protos.ValueInfoProto {
	shape := &protos.TensorShapeProto{}
	for _, d := range dims {
		dim := &protos.TensorShapeProto_Dimension{}
		switch d := d.(type) {
		case int:
			dim.Value = &protos.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}
		case string:
			dim.Value = &protos.TensorShapeProto_Dimension_DimParam{DimParam: d}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &protos.ValueInfoProto{Name: name, Type: &protos.TypeProto{Value: &protos.TypeProto_TensorType{
		TensorType: &protos.TypeProto_Tensor{ElemType: int32(protos.TensorProto_FLOAT), Shape: shape},
	}}}
}

// onnxModel builds the ModelProto.
func onnxModel(net *nets.Net, store *model.Store, opt ONNXOptions) (*protos.ModelProto, error) {
	if opt.Height < 0 || opt.Width < 0 || opt.Batch < 0 {
		return nil, fmt.Errorf("onnx %s: negative size in options %+v", net.Name, opt)
	}
	m := max(1, net.InputMultiple)
	h, w := opt.Height, opt.Width
	if h == 0 {
		h = 8 * m
	}
	if w == 0 {
		w = 8 * m
	}
	shapes, err := net.Shapes(h, w)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	if err := checkActivations(net, opt.Activations); err != nil {
		return nil, fmt.Errorf("onnx %s: %w", net.Name, err)
	}
	b := &onnxGraph{g: &protos.GraphProto{Name: net.Name}, names: map[string]bool{}}
	dim := func(v int, sym string) any {
		if v == 0 {
			return sym
		}
		return v
	}
	batch, height, width := dim(opt.Batch, "batch"), dim(opt.Height, "height"), dim(opt.Width, "width")
	for _, reserved := range []string{nets.Input, "heatmaps", "locations", "mask", "offsets", "regression"} {
		b.names[reserved] = true // the graph's input and output names
	}
	for i := range net.Heads.Extra {
		b.names[extraName(i)] = true
	}
	if opt.NCHW {
		b.g.Input = []*protos.ValueInfoProto{tensorValue(nets.Input, batch, net.InputChannels, height, width)}
	} else {
		b.g.Input = []*protos.ValueInfoProto{tensorValue(nets.Input, batch, height, width, net.InputChannels)}
	}
	values := map[string]string{nets.Input: nets.Input}
	if !opt.NCHW {
		values[nets.Input] = b.node("Transpose", "input_nchw", []string{nets.Input}, intsAttr("perm", 0, 3, 1, 2))
	}
	if q, ok := opt.Activations[nets.Input]; ok {
		if values[nets.Input], err = b.qdq("input", values[nets.Input], q); err != nil {
			return nil, fmt.Errorf("onnx %s: %w", net.Name, err)
		}
	}
	for i := range net.Layers {
		l := &net.Layers[i]
		ins := make([]string, len(l.Inputs))
		for j, name := range l.Inputs {
			ins[j] = values[name]
		}
		out, err := b.layer(store, opt, l, ins, shapes[l.Inputs[0]].C)
		if err != nil {
			return nil, fmt.Errorf("onnx %s: %w", net.Name, err)
		}
		if q, ok := opt.Activations[l.Name]; ok {
			if out, err = b.qdq(l.Name, out, q); err != nil {
				return nil, fmt.Errorf("onnx %s: %w", net.Name, err)
			}
		}
		values[l.Name] = out
	}
	heads := []struct{ name, layer string }{
		{"heatmaps", net.Heads.Heatmaps}, {"locations", net.Heads.Locations}, {"mask", net.Heads.Mask},
		{"offsets", net.Heads.Offsets}, {"regression", net.Heads.Regression},
	}
	for i, name := range net.Heads.Extra {
		heads = append(heads, struct{ name, layer string }{extraName(i), name})
	}
	for _, hd := range heads {
		if hd.layer == "" {
			continue
		}
		c := shapes[hd.layer].C
		oh, ow := dim(0, hd.name+"_height"), dim(0, hd.name+"_width")
		if opt.Height > 0 && opt.Width > 0 {
			oh, ow = shapes[hd.layer].H, shapes[hd.layer].W
		}
		// The output takes the head's name, reserved above (a layer of that name got a suffix).
		var vi *protos.ValueInfoProto
		if opt.NCHW {
			b.g.Node = append(b.g.Node, &protos.NodeProto{OpType: "Identity", Name: hd.name + "_output",
				Input: []string{values[hd.layer]}, Output: []string{hd.name}})
			vi = tensorValue(hd.name, batch, c, oh, ow)
		} else {
			b.g.Node = append(b.g.Node, &protos.NodeProto{OpType: "Transpose", Name: hd.name + "_output",
				Input: []string{values[hd.layer]}, Output: []string{hd.name}, Attribute: []*protos.AttributeProto{intsAttr("perm", 0, 2, 3, 1)}})
			vi = tensorValue(hd.name, batch, oh, ow, c)
		}
		b.g.Output = append(b.g.Output, vi)
	}
	return &protos.ModelProto{
		IrVersion:       IRVersion,
		OpsetImport:     []*protos.OperatorSetIdProto{{Domain: "", Version: Opset}},
		ProducerName:    "posedistill",
		ProducerVersion: "1",
		DocString:       fmt.Sprintf("%s: %d joints, input multiple of %d", net.Name, net.Joints, m),
		Graph:           b.g,
	}, nil
}

// layer writes the nodes of one layer and returns its output value name. in is the channel count of
// the first input.
func (b *onnxGraph) layer(store *model.Store, opt ONNXOptions, l *nets.Layer, ins []string, in int) (string, error) {
	name := l.Name
	var out string
	switch l.Op {
	case nets.OpConv, nets.OpDeconv:
		f, err := FoldLayer(store, opt.Scope, l, in)
		if err != nil {
			return "", err
		}
		if l.Op == nets.OpConv {
			wName := b.weight(l.Name, f, kernelOIHW, opt.Int8Weights, 0, f.Dims[3], f.Dims[2], f.Dims[0], f.Dims[1])
			bName := b.initializer(l.Name+".bias", f.Bias, f.Dims[3])
			k, p, s := l.KernelSize(), (l.KernelSize()-1)/2, l.StrideSize()
			if l.Pad == nets.PadValid {
				p = 0
			}
			pads := intsAttr("pads", p, p, p, p)
			if l.Pad == nets.PadSame {
				pads = stringAttr("auto_pad", "SAME_UPPER") // TensorFlow's SAME: the odd row after
			}
			out = b.node("Conv", name, []string{ins[0], wName, bName},
				intsAttr("kernel_shape", k, k), intsAttr("strides", s, s), pads,
				intAttr("group", l.GroupCount()))
		} else {
			wName := b.weight(l.Name, f, kernelIOHW, opt.Int8Weights, 1, f.Dims[2], f.Dims[3], 4, 4)
			bName := b.initializer(l.Name+".bias", f.Bias, f.Dims[3])
			out = b.node("ConvTranspose", name, []string{ins[0], wName, bName},
				intsAttr("kernel_shape", 4, 4), intsAttr("strides", 2, 2), intsAttr("pads", 1, 1, 1, 1))
		}
	case nets.OpAdd:
		out = ins[0]
		for j, x := range ins[1:] {
			n := name
			if j < len(ins)-2 {
				n = fmt.Sprintf("%s_sum%d", name, j)
			}
			out = b.node("Add", n, []string{out, x})
		}
		if len(ins) == 1 {
			out = b.node("Identity", name, []string{out})
		}
	case nets.OpConcat:
		out = b.node("Concat", name, ins, intAttr("axis", 1))
	case nets.OpPad:
		// NCHW: zeros after the channels (axis 1); pads are [begin of each axis, end of each axis].
		pads := b.int64Initializer(l.Name+".pads", 0, 0, 0, 0, 0, int64(l.Out-in), 0, 0)
		out = b.node("Pad", name, []string{ins[0], pads})
	case nets.OpMaxPool:
		k, p, s := l.KernelSize(), (l.KernelSize()-1)/2, l.StrideSize()
		out = b.node("MaxPool", name, ins[:1], intsAttr("kernel_shape", k, k), intsAttr("strides", s, s), intsAttr("pads", p, p, p, p))
	case nets.OpUpsample:
		scales := b.initializer(l.Name+".scales", []float32{1, 1, 2, 2}, 4)
		var attrs []*protos.AttributeProto
		switch l.Resize {
		case layers.Nearest:
			attrs = []*protos.AttributeProto{stringAttr("mode", "nearest"),
				stringAttr("coordinate_transformation_mode", "asymmetric"), stringAttr("nearest_mode", "floor")}
		case layers.Bilinear:
			attrs = []*protos.AttributeProto{stringAttr("mode", "linear"),
				stringAttr("coordinate_transformation_mode", "half_pixel")}
		default:
			return "", fmt.Errorf("layer %s: unknown resize %q", l.Name, string(l.Resize))
		}
		out = b.node("Resize", name, []string{ins[0], "", scales}, attrs...)
	default:
		return "", fmt.Errorf("layer %s: unknown op %q", l.Name, string(l.Op))
	}
	return b.activation(l, name, out)
}

// weight adds a layer's folded kernel in ONNX layout (transpose maps it from GoMLX's layout, dims are
// the ONNX dims) and returns the name of the value holding it: a float32 initializer, or with quantize an
// INT8 initializer of the Folded.Int8 codes dequantized by DequantizeLinear along the output-channel
// axis (0 for Conv, 1 for ConvTranspose).
func (b *onnxGraph) weight(layer string, f Folded, transpose func(Folded) []float32, quantize bool, axis int, dims ...int) string {
	if !quantize {
		return b.initializer(layer+".weight", transpose(f), dims...)
	}
	codes, scales := f.Int8()
	asFloat := Folded{Dims: f.Dims, Kernel: make([]float32, len(codes))}
	for i, c := range codes {
		asFloat.Kernel[i] = float32(c) // small integers: exact through the transpose
	}
	raw := make([]byte, len(codes))
	for i, c := range transpose(asFloat) {
		raw[i] = byte(int8(c))
	}
	d := make([]int64, len(dims))
	for i, v := range dims {
		d[i] = int64(v)
	}
	qName := b.unique(layer + ".weight_int8")
	b.g.Initializer = append(b.g.Initializer,
		&protos.TensorProto{Name: qName, DataType: int32(protos.TensorProto_INT8), Dims: d, RawData: raw},
		&protos.TensorProto{Name: b.unique(layer + ".weight_zero"), DataType: int32(protos.TensorProto_INT8),
			Dims: []int64{int64(len(scales))}, RawData: make([]byte, len(scales))})
	zName := b.g.Initializer[len(b.g.Initializer)-1].Name
	sName := b.initializer(layer+".weight_scale", scales, len(scales))
	return b.node("DequantizeLinear", layer+".weight", []string{qName, sName, zName}, intAttr("axis", axis))
}

// activation appends the layer's activation to x.
func (b *onnxGraph) activation(l *nets.Layer, name, x string) (string, error) {
	switch l.Act {
	case layers.Linear:
		return x, nil
	case layers.ReLU:
		return b.node("Relu", name+"_relu", []string{x}), nil
	case layers.ReLU6:
		lo := b.initializer(l.Name+".clip_min", []float32{0})
		hi := b.initializer(l.Name+".clip_max", []float32{6})
		return b.node("Clip", name+"_relu6", []string{x, lo, hi}), nil
	case layers.Sigmoid:
		return b.node("Sigmoid", name+"_sigmoid", []string{x}), nil
	}
	return "", fmt.Errorf("layer %s: unknown activation %q", l.Name, strings.TrimSpace(string(l.Act)))
}

// kernelOIHW transposes a folded [kh, kw, in, out] kernel to ONNX Conv's [out, in, kh, kw].
func kernelOIHW(f Folded) []float32 {
	kh, kw, in, out := f.Dims[0], f.Dims[1], f.Dims[2], f.Dims[3]
	dst := make([]float32, len(f.Kernel))
	for y := range kh {
		for x := range kw {
			for i := range in {
				for o := range out {
					dst[((o*in+i)*kh+y)*kw+x] = f.Kernel[((y*kw+x)*in+i)*out+o]
				}
			}
		}
	}
	return dst
}

// kernelIOHW transposes a folded [kh, kw, in, out] kernel to ONNX ConvTranspose's [in, out, kh, kw].
func kernelIOHW(f Folded) []float32 {
	kh, kw, in, out := f.Dims[0], f.Dims[1], f.Dims[2], f.Dims[3]
	dst := make([]float32, len(f.Kernel))
	for y := range kh {
		for x := range kw {
			for i := range in {
				for o := range out {
					dst[((i*out+o)*kh+y)*kw+x] = f.Kernel[((y*kw+x)*in+i)*out+o]
				}
			}
		}
	}
	return dst
}
