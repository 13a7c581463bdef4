package tflite

import (
	"errors"
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/support/exceptions"
)

// ErrUnsupported marks a model feature (operator, option, tensor type) the translation does not
// handle.
var ErrUnsupported = errors.New("unsupported")

// Network is the float inference graph of a TFLite model's main subgraph, ready to be built into
// GoMLX graphs: constants are decoded and DEQUANTIZE / DENSIFY over constants are folded, so
// weights enter the graph as float32 constants.
type Network struct {
	// NativeConv builds convolutions with GoMLX's generic ConvGeneral instead of the default
	// lowering to matrix products (regular) and shifted taps (depthwise multiplier 1), which
	// the go backend runs several times faster. Set it before Build.
	NativeConv bool

	taps   tapMethod // how convolution taps are built (benchmarks compare the ways)
	model  *Model
	sg     *SubGraph
	consts map[int]*constant
	ops    []int // operators to emit, in order
}

// NewNetwork prepares the main subgraph of m. It fails, naming the operator, when the model uses
// an operator or option outside the supported set: ADD, CONCATENATION, CONV_2D,
// DEPTHWISE_CONV_2D, DEPTH_TO_SPACE, DEQUANTIZE, DENSIFY, LOGISTIC, MAX_POOL_2D, PAD, RELU,
// RELU6, RESHAPE, RESIZE_BILINEAR; activations flowing between operators must be FLOAT32.
func NewNetwork(m *Model) (*Network, error) {
	if m == nil || len(m.SubGraphs) == 0 {
		return nil, fmt.Errorf("tflite network: model has no subgraph")
	}
	n := &Network{model: m, sg: &m.SubGraphs[0], consts: map[int]*constant{}}
	for i := range n.sg.Tensors {
		t := &n.sg.Tensors[i]
		if len(m.Buffers[t.Buffer].Data) == 0 {
			continue
		}
		c, err := loadConstant(m, t)
		if err != nil {
			return nil, fmt.Errorf("tflite network: tensor %d: %w", i, err)
		}
		n.consts[i] = c
	}
	for _, in := range n.sg.Inputs {
		if t := n.sg.Tensors[in]; t.Type != Float32 {
			return nil, fmt.Errorf("tflite network: input %q is %v: %w (only FLOAT32 inputs)", t.Name, t.Type, ErrUnsupported)
		}
	}
	for i, op := range n.sg.Operators {
		code := m.OperatorCodes[op.OpcodeIndex]
		folded, err := n.fold(op, code.Builtin)
		if err != nil {
			return nil, fmt.Errorf("tflite network: operator %d %v: %w", i, code.Builtin, err)
		}
		if folded {
			continue
		}
		if err := n.check(op, code); err != nil {
			return nil, fmt.Errorf("tflite network: operator %d %s: %w", i, opName(code), err)
		}
		n.ops = append(n.ops, i)
	}
	for _, o := range n.sg.Outputs {
		if t := n.sg.Tensors[o]; t.Type != Float32 {
			return nil, fmt.Errorf("tflite network: output %q is %v: %w", t.Name, t.Type, ErrUnsupported)
		}
	}
	return n, nil
}

func opName(c OperatorCode) string {
	if c.Builtin == OpCustom {
		return fmt.Sprintf("CUSTOM %q", c.Custom)
	}
	return c.Builtin.String()
}

// fold evaluates DEQUANTIZE and DENSIFY when their input is a constant.
func (n *Network) fold(op Operator, code BuiltinOperator) (bool, error) {
	if code != OpDequantize && code != OpDensify {
		return false, nil
	}
	if len(op.Inputs) != 1 || len(op.Outputs) != 1 || op.Inputs[0] < 0 {
		return false, fmt.Errorf("want 1 input and 1 output, got %d and %d", len(op.Inputs), len(op.Outputs))
	}
	c, ok := n.consts[op.Inputs[0]]
	if !ok {
		return false, nil
	}
	in := &n.sg.Tensors[op.Inputs[0]]
	out := &n.sg.Tensors[op.Outputs[0]]
	var err error
	if code == OpDensify {
		c, err = densify(in, c)
	} else {
		c, err = dequantize(in, c)
	}
	if err != nil {
		return false, err
	}
	if numElements(out.Shape) != len(c.vals) {
		return false, fmt.Errorf("result has %d values, output %q has shape %v", len(c.vals), out.Name, out.Shape)
	}
	c = &constant{shape: append([]int(nil), out.Shape...), vals: c.vals, dequantized: c.dequantized}
	n.consts[op.Outputs[0]] = c
	return true, nil
}

// Model returns the model the network was built from.
func (n *Network) Model() *Model { return n.model }

// Inputs returns the input tensors of the network, in order.
func (n *Network) Inputs() []Tensor { return n.tensorsAt(n.sg.Inputs) }

// Outputs returns the output tensors of the network, in order.
func (n *Network) Outputs() []Tensor { return n.tensorsAt(n.sg.Outputs) }

func (n *Network) tensorsAt(idx []int) []Tensor {
	out := make([]Tensor, len(idx))
	for i, j := range idx {
		out[i] = n.sg.Tensors[j]
	}
	return out
}

// Build adds the network to the graph of inputs (one node per network input, shaped as
// Inputs says, float32) and returns the output nodes. GoMLX reports graph-building failures by
// panicking; Build turns them into errors.
func (n *Network) Build(inputs []*graph.Node) (outputs []*graph.Node, err error) {
	if len(inputs) != len(n.sg.Inputs) {
		return nil, fmt.Errorf("tflite network: %d inputs given, model has %d", len(inputs), len(n.sg.Inputs))
	}
	exc := exceptions.Try(func() { outputs, err = n.build(inputs) })
	if exc != nil {
		return nil, fmt.Errorf("tflite network: building graph: %v", exc)
	}
	return outputs, err
}

func (n *Network) build(inputs []*graph.Node) ([]*graph.Node, error) {
	b := &builder{net: n, g: inputs[0].Graph(), values: map[int]*graph.Node{}}
	for i, idx := range n.sg.Inputs {
		if err := b.checkShape(idx, inputs[i]); err != nil {
			return nil, fmt.Errorf("tflite network: input %d: %w", i, err)
		}
		b.values[idx] = inputs[i]
	}
	for _, i := range n.ops {
		op := n.sg.Operators[i]
		code := n.model.OperatorCodes[op.OpcodeIndex].Builtin
		out, err := b.emit(op, code)
		if err == nil {
			err = b.checkShape(op.Outputs[0], out)
		}
		if err != nil {
			return nil, fmt.Errorf("tflite network: operator %d %v: %w", i, code, err)
		}
		b.values[op.Outputs[0]] = out
	}
	outs := make([]*graph.Node, len(n.sg.Outputs))
	for i, idx := range n.sg.Outputs {
		v, err := b.value(idx)
		if err != nil {
			return nil, fmt.Errorf("tflite network: output %d: %w", i, err)
		}
		outs[i] = v
	}
	return outs, nil
}

// builder holds the graph nodes of one Build.
type builder struct {
	net    *Network
	g      *graph.Graph
	values map[int]*graph.Node
}

// value returns the node of tensor idx, creating a float32 constant for folded tensors.
func (b *builder) value(idx int) (*graph.Node, error) {
	if idx < 0 {
		return nil, fmt.Errorf("missing required input")
	}
	if v, ok := b.values[idx]; ok {
		return v, nil
	}
	c, ok := b.net.consts[idx]
	if !ok {
		return nil, fmt.Errorf("tensor %d %q is used before it is computed", idx, b.net.sg.Tensors[idx].Name)
	}
	c, err := dequantize(&b.net.sg.Tensors[idx], c)
	if err != nil {
		return nil, err
	}
	v := graph.ConstTensor(b.g, tensors.FromFlatDataAndDimensions(c.vals, c.shape...))
	b.values[idx] = v
	return v, nil
}

// constant returns the dequantized value of a constant tensor.
func (b *builder) constant(idx int) (*constant, bool) {
	c, ok := b.net.consts[idx]
	if !ok {
		return nil, false
	}
	c, err := dequantize(&b.net.sg.Tensors[idx], c)
	return c, err == nil
}

// checkShape verifies that node v has the shape the model declares for tensor idx.
func (b *builder) checkShape(idx int, v *graph.Node) error {
	want := b.net.sg.Tensors[idx].Shape
	got := v.Shape().Dimensions
	if len(got) != len(want) {
		return fmt.Errorf("tensor %q: shape %v, model says %v", b.net.sg.Tensors[idx].Name, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("tensor %q: shape %v, model says %v", b.net.sg.Tensors[idx].Name, got, want)
		}
	}
	return nil
}
