package tflite

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// testModel describes a small model: input → CONV_2D(weights, bias) → RESIZE_BILINEAR → output,
// with per-channel int8 quantization on the weights and a large-model (offset/size) buffer.
func testModel() fbTable {
	tensor := func(name string, shape []int32, typ uint8, buf uint32) fbTable {
		return fbTable{0: fbInts(shape), 1: fbU8(typ), 2: fbU32(buf), 3: fbStr(name)}
	}
	weights := tensor("w", []int32{2, 1, 1, 1}, uint8(Int8), 1)
	weights[4] = fbTable{2: fbFloats{0.5, 0.25}, 3: fbLongs{0, 1}, 6: fbI32(0)}
	return fbTable{
		0: fbU32(3),
		1: fbTables{
			{0: fbU8(OpConv2D), 2: fbI32(2)},
			{0: fbU8(127), 3: fbI32(150)}, // extended builtin code wins over the placeholder
			{3: fbI32(int32(OpDensify))},  // new writers may leave the deprecated field 0
			{0: fbU8(OpCustom), 1: fbStr("MyOp")},
		},
		2: fbTables{{
			0: fbTables{
				tensor("in", []int32{1, 2, 2, 1}, uint8(Float32), 0),
				weights,
				tensor("bias", []int32{1}, uint8(Float32), 2),
				tensor("out", []int32{1, 2, 2, 2}, uint8(Float32), 0),
			},
			1: fbInts{0},
			2: fbInts{3},
			3: fbTables{
				{0: fbU32(0), 1: fbInts{0, 1, 2}, 2: fbInts{3}, 3: fbU8(optConv2D),
					4: fbTable{0: fbU8(PaddingValid), 1: fbI32(2), 2: fbI32(3), 3: fbU8(ActRelu6)}},
				{0: fbU32(3), 1: fbInts{3, -1}, 2: fbInts{3}, 5: fbBytes("opts")},
			},
			4: fbStr("main"),
		}},
		3: fbStr("test model"),
		4: fbTables{
			{},
			{0: fbBytes{1, 0xff}},
			{1: fbU64(4), 2: fbU64(4)}, // bytes 4..8 of the file: "TFL3"
		},
	}
}

func TestParse(t *testing.T) {
	data := buildModel(testModel())
	m, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != 3 || m.Description != "test model" {
		t.Errorf("header = %d %q", m.Version, m.Description)
	}
	wantCodes := []OperatorCode{{OpConv2D, "", 2}, {150, "", 1}, {OpDensify, "", 1}, {OpCustom, "MyOp", 1}}
	if !reflect.DeepEqual(m.OperatorCodes, wantCodes) {
		t.Errorf("codes = %+v, want %+v", m.OperatorCodes, wantCodes)
	}
	if len(m.Buffers) != 3 || string(m.Buffers[1].Data) != "\x01\xff" || string(m.Buffers[2].Data) != "TFL3" {
		t.Errorf("buffers = %+v", m.Buffers)
	}
	sg := m.SubGraphs[0]
	if sg.Name != "main" || !reflect.DeepEqual(sg.Inputs, []int{0}) || !reflect.DeepEqual(sg.Outputs, []int{3}) {
		t.Errorf("subgraph = %q %v %v", sg.Name, sg.Inputs, sg.Outputs)
	}
	w := sg.Tensors[1]
	if w.Name != "w" || w.Type != Int8 || w.Buffer != 1 || !reflect.DeepEqual(w.Shape, []int{2, 1, 1, 1}) {
		t.Errorf("weights tensor = %+v", w)
	}
	wantQ := &Quantization{Scale: []float32{0.5, 0.25}, ZeroPoint: []int64{0, 1}}
	if !reflect.DeepEqual(w.Quantization, wantQ) {
		t.Errorf("quantization = %+v, want %+v", w.Quantization, wantQ)
	}
	if sg.Tensors[0].Quantization != nil {
		t.Errorf("input should not be quantized")
	}
	wantConv := &Conv2DOptions{Padding: PaddingValid, StrideW: 2, StrideH: 3, Activation: ActRelu6, DilationWFactor: 1, DilationHFactor: 1}
	if !reflect.DeepEqual(sg.Operators[0].Options, wantConv) {
		t.Errorf("conv options = %+v, want %+v", sg.Operators[0].Options, wantConv)
	}
	if op := sg.Operators[1]; op.Options != nil || string(op.CustomOptions) != "opts" || !reflect.DeepEqual(op.Inputs, []int{3, -1}) {
		t.Errorf("custom op = %+v", op)
	}
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		typ  uint8
		tab  fbTable
		want any
	}{
		{optDepthwiseConv, fbTable{0: fbU8(0), 1: fbI32(1), 2: fbI32(2), 3: fbI32(4), 4: fbU8(ActRelu), 5: fbI32(2), 6: fbI32(3)},
			&DepthwiseConv2DOptions{PaddingSame, 1, 2, 4, ActRelu, 2, 3}},
		{optPool2D, fbTable{0: fbU8(1), 1: fbI32(2), 2: fbI32(2), 3: fbI32(3), 4: fbI32(3), 5: fbU8(ActNone)},
			&Pool2DOptions{PaddingValid, 2, 2, 3, 3, ActNone}},
		{optConcatenation, fbTable{0: fbI32(-1), 1: fbU8(ActRelu)}, &ConcatenationOptions{-1, ActRelu}},
		{optAdd, fbTable{0: fbU8(ActRelu6)}, &AddOptions{ActRelu6}},
		{optResizeBilinear, fbTable{2: fbU8(0), 3: fbU8(1)}, &ResizeBilinearOptions{false, true}},
		{optResizeBilinear, fbTable{2: fbU8(1)}, &ResizeBilinearOptions{true, false}},
		{optReshape, fbTable{0: fbInts{1, -1}}, &ReshapeOptions{[]int{1, -1}}},
		{optDepthToSpace, fbTable{0: fbI32(2)}, &DepthToSpaceOptions{2}},
		{optConv2D, fbTable{}, &Conv2DOptions{DilationWFactor: 1, DilationHFactor: 1}},
		{99, fbTable{0: fbI32(2)}, nil},
	}
	for _, tc := range tests {
		root := testModel()
		sg := root[2].(fbTables)[0]
		ops := sg[3].(fbTables)
		ops[0][3] = fbU8(tc.typ)
		ops[0][4] = tc.tab
		m, err := Parse(buildModel(root))
		if err != nil {
			t.Fatalf("options type %d: %v", tc.typ, err)
		}
		if got := m.SubGraphs[0].Operators[0].Options; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("options type %d = %+v, want %+v", tc.typ, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(root fbTable)
		data   []byte
		want   string
	}{
		{"empty", nil, []byte{}, "too short"},
		{"wrong identifier", nil, []byte("\x08\x00\x00\x00TFL2\x00\x00\x00\x00"), `identifier "TFL2"`},
		{"root offset past end", nil, []byte("\xff\x00\x00\x00TFL3"), "past end"},
		{"buffer index", func(r fbTable) {
			r[2].(fbTables)[0][0].(fbTables)[1][2] = fbU32(9)
		}, nil, `tensor 1 "w": buffer index 9 out of range`},
		{"opcode index", func(r fbTable) {
			r[2].(fbTables)[0][3].(fbTables)[0][0] = fbU32(7)
		}, nil, "opcode index 7 out of range"},
		{"operator tensor index", func(r fbTable) {
			r[2].(fbTables)[0][3].(fbTables)[0][1] = fbInts{0, 1, 40}
		}, nil, "tensor index 40 out of range"},
		{"graph output index", func(r fbTable) {
			r[2].(fbTables)[0][2] = fbInts{-1}
		}, nil, "outputs: tensor index -1"},
		{"large buffer outside file", func(r fbTable) {
			r[4].(fbTables)[2][1] = fbU64(1 << 40)
		}, nil, "buffer 2: offset 1099511627776"},
		{"no subgraphs", func(r fbTable) { delete(r, 2) }, nil, "no subgraphs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data
			if tc.mutate != nil {
				root := testModel()
				tc.mutate(root)
				data = buildModel(root)
			}
			_, err := Parse(data)
			if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrFormat containing %q", err, tc.want)
			}
		})
	}
}

// TestParseTruncated checks every prefix of a valid file fails cleanly.
func TestParseTruncated(t *testing.T) {
	data := buildModel(testModel())
	for n := 0; n < len(data); n++ {
		if _, err := Parse(data[:n:n]); err == nil {
			// A prefix may still be a valid model only if nothing it references was cut.
			continue
		}
	}
	// The file's last byte belongs to the last written vector: cutting it must fail.
	if _, err := Parse(data[: len(data)-1 : len(data)-1]); err == nil {
		t.Fatal("file cut by one byte parsed without error")
	}
}

func TestBuiltinNames(t *testing.T) {
	tests := map[BuiltinOperator]string{
		OpAdd: "ADD", OpConv2D: "CONV_2D", OpDepthwiseConv: "DEPTHWISE_CONV_2D", OpDequantize: "DEQUANTIZE",
		OpLogistic: "LOGISTIC", OpMaxPool2D: "MAX_POOL_2D", OpReshape: "RESHAPE", OpResizeBilinear: "RESIZE_BILINEAR",
		OpCustom: "CUSTOM", OpPad: "PAD", OpDensify: "DENSIFY", OpDepthToSpace: "DEPTH_TO_SPACE",
		OpConcatenation: "CONCATENATION", 127: "PLACEHOLDER_FOR_GREATER_OP_CODES", 150: "BUILTIN_OPERATOR_150",
	}
	for op, want := range tests {
		if got := op.String(); got != want {
			t.Errorf("%d: %q, want %q", int(op), got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(buildModel(testModel()))
	f.Add([]byte("\x08\x00\x00\x00TFL3\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err == nil && len(m.SubGraphs) == 0 {
			t.Fatal("parsed model without subgraphs")
		}
	})
}
