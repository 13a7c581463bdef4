package tflite

import (
	"errors"
	"fmt"
)

// ErrUnsupported marks a model feature (operator, option, tensor type) the translation does not
// handle.
var ErrUnsupported = errors.New("unsupported")

// Network is the float inference graph of a TFLite model's main subgraph, checked and ready to be
// translated into the project's network description (ImportNet): constants are decoded and
// DEQUANTIZE / DENSIFY over constants are folded, so weights are float32 values.
type Network struct {
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
