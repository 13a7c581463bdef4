package tflite

import (
	"fmt"
)

// check verifies, before the translation, that op is one it supports with
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

// samePadding returns TFLite's SAME padding (before, after) for one spatial dimension.
func samePadding(in, kernel, stride, dilation int) [2]int {
	out := (in + stride - 1) / stride
	eff := (kernel-1)*dilation + 1
	total := max((out-1)*stride+eff-in, 0)
	return [2]int{total / 2, total - total/2}
}
