package tflite

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// torchCase is one single-operator model and the same computation described for PyTorch.
type torchCase struct {
	name    string
	tensors []tspec
	ops     []mop
	op      string
	attrs   map[string]any
}

// torchInputs lists the tensors PyTorch needs (the operator's inputs, by value).
func (c torchCase) torchInputs() []map[string]any {
	var out []map[string]any
	for _, idx := range c.ops[len(c.ops)-1].in {
		if idx < 0 {
			continue
		}
		s := c.tensors[idx]
		if s.typ == Int32 {
			continue
		}
		out = append(out, map[string]any{"shape": s.shape, "data": s.values})
	}
	return out
}

func torchCases() []torchCase {
	rng := rand.New(rand.NewPCG(1, 2))
	conv := func(name string, depthwise bool, in []int, k []int, pad Padding, s, d int, a Activation, bias bool) torchCase {
		x := input(rng, in...)
		w := constF32(rng, k...)
		outC := k[0]
		code, optType := OpConv2D, uint8(optConv2D)
		opts := fbTable{0: fbU8(pad), 1: fbI32(s), 2: fbI32(s), 3: fbU8(a), 4: fbI32(d), 5: fbI32(d)}
		if depthwise {
			outC = k[3]
			code, optType = OpDepthwiseConv, optDepthwiseConv
			opts = fbTable{0: fbU8(pad), 1: fbI32(s), 2: fbI32(s), 3: fbI32(k[3] / in[3]), 4: fbU8(a), 5: fbI32(d), 6: fbI32(d)}
		}
		oh, ow := (in[1]+s-1)/s, (in[2]+s-1)/s
		if pad == PaddingValid {
			eh, ew := (k[1]-1)*d+1, (k[2]-1)*d+1
			oh, ow = (in[1]-eh)/s+1, (in[2]-ew)/s+1
		}
		ts := []tspec{x, w}
		ins := []int{0, 1}
		if bias {
			ts = append(ts, constF32(rng, outC))
			ins = append(ins, 2)
		} else {
			ins = append(ins, -1)
		}
		ts = append(ts, output(in[0], oh, ow, outC))
		op := "CONV_2D"
		if depthwise {
			op = "DEPTHWISE_CONV_2D"
		}
		return torchCase{name, ts, []mop{{code: code, in: ins, out: []int{len(ts) - 1}, optType: optType, opts: opts}}, op,
			map[string]any{"padding": pad.String(), "sh": s, "sw": s, "dh": d, "dw": d, "act": a.String()}}
	}
	resize := func(name string, in []int, oh, ow int, align bool) torchCase {
		ts := []tspec{input(rng, in...), constI32(int32(oh), int32(ow)), output(in[0], oh, ow, in[3])}
		return torchCase{name, ts, []mop{{code: OpResizeBilinear, in: []int{0, 1}, out: []int{2}, optType: optResizeBilinear,
			opts: fbTable{2: fbBool(align), 3: fbBool(!align)}}}, "RESIZE_BILINEAR",
			map[string]any{"size": []int{oh, ow}, "align_corners": align}}
	}
	pool := func(name string, in []int, f, s int) torchCase {
		oh, ow := (in[1]-f)/s+1, (in[2]-f)/s+1
		ts := []tspec{input(rng, in...), output(in[0], oh, ow, in[3])}
		return torchCase{name, ts, []mop{{code: OpMaxPool2D, in: []int{0}, out: []int{1}, optType: optPool2D,
			opts: fbTable{0: fbU8(PaddingValid), 1: fbI32(s), 2: fbI32(s), 3: fbI32(f), 4: fbI32(f)}}}, "MAX_POOL_2D",
			map[string]any{"fh": f, "fw": f, "sh": s, "sw": s}}
	}
	cases := []torchCase{
		conv("conv same stride 2 relu6 odd size", false, []int{1, 9, 9, 3}, []int{4, 3, 3, 3}, PaddingSame, 2, 1, ActRelu6, true),
		conv("conv same stride 2 even size (asymmetric padding)", false, []int{1, 8, 10, 3}, []int{2, 3, 3, 3}, PaddingSame, 2, 1, ActNone, true),
		conv("depthwise same stride 2 even size", true, []int{1, 8, 6, 2}, []int{1, 3, 3, 2}, PaddingSame, 2, 1, ActNone, true),
		conv("conv valid dilation 2 no bias", false, []int{2, 10, 8, 2}, []int{3, 3, 3, 2}, PaddingValid, 1, 2, ActNone, false),
		conv("conv 1x1 relu", false, []int{1, 5, 5, 6}, []int{4, 1, 1, 6}, PaddingSame, 1, 1, ActRelu, true),
		conv("conv 5x5 same stride 1 tanh", false, []int{1, 7, 6, 2}, []int{2, 5, 5, 2}, PaddingSame, 1, 1, ActTanh, true),
		conv("depthwise same stride 1 relu", true, []int{1, 8, 8, 4}, []int{1, 3, 3, 4}, PaddingSame, 1, 1, ActRelu, true),
		conv("depthwise same stride 2 multiplier 2", true, []int{1, 9, 7, 3}, []int{1, 5, 5, 6}, PaddingSame, 2, 1, ActRelu6, true),
		conv("depthwise same stride 2 5x5 odd size", true, []int{1, 9, 7, 3}, []int{1, 5, 5, 3}, PaddingSame, 2, 1, ActNone, true),
		conv("depthwise valid stride 2 dilation 2", true, []int{1, 11, 10, 2}, []int{1, 3, 3, 2}, PaddingValid, 2, 2, ActNone, true),
		conv("depthwise valid dilation 2", true, []int{1, 9, 9, 2}, []int{1, 3, 3, 2}, PaddingValid, 1, 2, ActReluN1To1, false),
		resize("resize half-pixel up", []int{1, 4, 5, 2}, 8, 11, false),
		resize("resize half-pixel down", []int{1, 9, 7, 1}, 4, 3, false),
		resize("resize align corners", []int{1, 4, 5, 2}, 7, 9, true),
		pool("max pool 2x2 stride 2", []int{1, 8, 8, 3}, 2, 2),
		pool("max pool 3x3 stride 2", []int{2, 9, 7, 2}, 3, 2),
	}
	{
		ts := []tspec{input(rng, 1, 4, 4, 3), constF32(rng, 3), output(1, 4, 4, 3)}
		cases = append(cases, torchCase{"add broadcast relu6", ts, []mop{{code: OpAdd, in: []int{0, 1}, out: []int{2},
			optType: optAdd, opts: fbTable{0: fbU8(ActRelu6)}}}, "ADD", map[string]any{"act": "RELU6"}})
	}
	{
		ts := []tspec{input(rng, 1, 3, 4, 2), input(rng, 1, 3, 4, 2), output(1, 3, 4, 2)}
		cases = append(cases, torchCase{"add two inputs", ts, []mop{{code: OpAdd, in: []int{0, 1}, out: []int{2},
			optType: optAdd, opts: fbTable{}}}, "ADD", map[string]any{"act": "NONE"}})
	}
	{
		pads := constI32(0, 0, 1, 2, 3, 0, 0, 1)
		pads.shape = []int{4, 2}
		ts := []tspec{input(rng, 1, 3, 4, 2), pads, output(1, 6, 7, 3)}
		cases = append(cases, torchCase{"pad", ts, []mop{{code: OpPad, in: []int{0, 1}, out: []int{2}}}, "PAD",
			map[string]any{"paddings": [][2]int{{0, 0}, {1, 2}, {3, 0}, {0, 1}}}})
	}
	{
		ts := []tspec{input(rng, 1, 2, 3, 8), output(1, 4, 6, 2)}
		cases = append(cases, torchCase{"depth to space", ts, []mop{{code: OpDepthToSpace, in: []int{0}, out: []int{1},
			optType: optDepthToSpace, opts: fbTable{0: fbI32(2)}}}, "DEPTH_TO_SPACE", map[string]any{"block": 2}})
	}
	{
		ts := []tspec{input(rng, 1, 3, 2), input(rng, 1, 5, 2), constF32(rng, 1, 1, 2), output(1, 9, 2)}
		cases = append(cases, torchCase{"concatenation axis 1 relu", ts, []mop{{code: OpConcatenation, in: []int{0, 1, 2}, out: []int{3},
			optType: optConcatenation, opts: fbTable{0: fbI32(1), 1: fbU8(ActRelu)}}}, "CONCATENATION", map[string]any{"axis": 1, "act": "RELU"}})
	}
	{
		ts := []tspec{input(rng, 1, 2, 2, 3), input(rng, 1, 2, 2, 1), output(1, 2, 2, 4)}
		cases = append(cases, torchCase{"concatenation axis -1", ts, []mop{{code: OpConcatenation, in: []int{0, 1}, out: []int{2},
			optType: optConcatenation, opts: fbTable{0: fbI32(-1)}}}, "CONCATENATION", map[string]any{"axis": 3, "act": "NONE"}})
	}
	{
		ts := []tspec{input(rng, 1, 4, 3), output(1, 4, 3)}
		cases = append(cases, torchCase{"logistic", ts, []mop{{code: OpLogistic, in: []int{0}, out: []int{1}}}, "LOGISTIC", nil})
	}
	{
		ts := []tspec{input(rng, 1, 1, 1, 12), constI32(1, 4, -1), output(1, 4, 3)}
		cases = append(cases, torchCase{"reshape", ts, []mop{{code: OpReshape, in: []int{0, 1}, out: []int{2}}}, "RESHAPE",
			map[string]any{"shape": []int{1, 4, 3}}})
	}
	return cases
}

func fbBool(b bool) fbU8 {
	if b {
		return 1
	}
	return 0
}

// TestOpsAgainstPyTorch runs each operator through the translation and compares it with PyTorch.
func TestOpsAgainstPyTorch(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		t.Skipf("PyTorch not available under %s: %v", python, err)
	}
	cases := torchCases()
	var spec []map[string]any
	for _, c := range cases {
		spec = append(spec, map[string]any{"op": c.op, "attrs": c.attrs, "inputs": c.torchInputs()})
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "cases.json"), filepath.Join(dir, "out.json")
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(python, filepath.Join("testdata", "torch_ref.py"), in, out).CombinedOutput(); err != nil {
		t.Fatalf("torch_ref.py: %v: %s", err, msg)
	}
	b, err = os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]float32
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			closeTo(t, runMini(t, c.tensors, c.ops), want[i], 2e-5)
			if c.op == "CONV_2D" || c.op == "DEPTHWISE_CONV_2D" {
				closeTo(t, runMini(t, c.tensors, c.ops, true), want[i], 2e-5) // ConvGeneral
				closeTo(t, runMiniWith(t, c.tensors, c.ops, false, tapsBySlice), want[i], 2e-5)
				closeTo(t, runMiniWith(t, c.tensors, c.ops, false, tapsByPad), want[i], 2e-5)
			}
		})
	}
}
