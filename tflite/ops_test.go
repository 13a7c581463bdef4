package tflite

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/internal/peers"
)

func TestDequantize(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
		vals  []float32
		q     Quantization
		want  []float32
	}{
		{"per tensor", []int{3}, []float32{-128, 0, 127}, Quantization{Scale: []float32{0.5}, ZeroPoint: []int64{-1}},
			[]float32{-63.5, 0.5, 64}},
		{"per channel dim 0", []int{2, 2}, []float32{1, 2, 3, 4},
			Quantization{Scale: []float32{1, 0.5}, ZeroPoint: []int64{0, 2}}, []float32{1, 2, 0.5, 1}},
		{"per channel dim 1", []int{2, 3}, []float32{1, 1, 1, 2, 2, 2},
			Quantization{Scale: []float32{1, 2, 4}, QuantizedDimension: 1}, []float32{1, 2, 4, 2, 4, 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ten := &Tensor{Name: "w", Shape: tc.shape, Type: Int8, Quantization: &tc.q}
			got, err := dequantize(ten, &constant{shape: tc.shape, vals: tc.vals})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.vals, tc.want) {
				t.Errorf("got %v, want %v", got.vals, tc.want)
			}
		})
	}
	bad := &Tensor{Name: "w", Shape: []int{2, 2}, Quantization: &Quantization{Scale: []float32{1, 2, 3}}}
	if _, err := dequantize(bad, &constant{shape: bad.Shape, vals: make([]float32, 4)}); err == nil {
		t.Error("3 scales for a dimension of 2: want error")
	}
}

func TestDensify(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
		sp    Sparsity
		vals  []float32
		want  []float32
	}{
		{"CSR rows", []int{2, 4}, Sparsity{
			TraversalOrder: []int{0, 1},
			DimMetadata:    []DimMetadata{{Dense: true, DenseSize: 2}, {Segments: []int{0, 1, 3}, Indices: []int{1, 0, 3}}},
		}, []float32{5, 7, 8}, []float32{0, 5, 0, 0, 7, 0, 0, 8}},
		{"2x2 blocks", []int{4, 4}, Sparsity{
			TraversalOrder: []int{0, 1, 2, 3},
			BlockMap:       []int{0, 1},
			DimMetadata: []DimMetadata{{Dense: true, DenseSize: 2}, {Segments: []int{0, 1, 2}, Indices: []int{1, 0}},
				{Dense: true, DenseSize: 2}, {Dense: true, DenseSize: 2}},
		}, []float32{1, 2, 3, 4, 5, 6, 7, 8}, []float32{0, 0, 1, 2, 0, 0, 3, 4, 5, 6, 0, 0, 7, 8, 0, 0}},
		{"column-major traversal", []int{2, 2}, Sparsity{
			TraversalOrder: []int{1, 0},
			DimMetadata:    []DimMetadata{{Dense: true, DenseSize: 2}, {Segments: []int{0, 1, 2}, Indices: []int{1, 0}}},
		}, []float32{3, 4}, []float32{0, 4, 3, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ten := &Tensor{Name: "s", Shape: tc.shape, Sparsity: &tc.sp}
			got, err := densify(ten, &constant{shape: []int{len(tc.vals)}, vals: tc.vals, dequantized: true})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.vals, tc.want) {
				t.Errorf("got %v, want %v", got.vals, tc.want)
			}
		})
	}
	bad := &Tensor{Name: "s", Shape: []int{2, 2}, Sparsity: &Sparsity{TraversalOrder: []int{0, 1},
		DimMetadata: []DimMetadata{{Dense: true, DenseSize: 2}, {Segments: []int{0, 5, 9}, Indices: []int{0}}}}}
	if _, err := densify(bad, &constant{vals: []float32{1}}); err == nil {
		t.Error("segments past the indices: want error")
	}
}

func f16bytes(vals ...uint16) []byte {
	b := make([]byte, 2*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint16(b[2*i:], v)
	}
	return b
}

// TestHandComputed imports and runs small models whose outputs are worked out by hand, and checks
// that models the network description cannot express are refused by name.
func TestHandComputed(t *testing.T) {
	in := func(shape []int, v ...float32) tspec { return tspec{shape: shape, typ: Float32, values: v} }
	int8w := tspec{shape: []int{2, 1, 1, 2}, typ: Int8, data: []byte{10, 20, 0xfc, 8}, // [[10 20] [-4 8]]
		quant: fbTable{2: fbFloats{0.1, 0.5}, 3: fbLongs{0, 0}, 6: fbI32(0)}}
	convOpts := fbTable{0: fbU8(PaddingValid), 1: fbI32(1), 2: fbI32(1)}
	tests := []struct {
		name    string
		tensors []tspec
		ops     []mop
		want    []float32
		refused string // the error's text when the model is refused
	}{
		{"int8 per-channel weights used directly",
			[]tspec{in([]int{1, 1, 1, 2}, 1, 2), int8w, output(1, 1, 1, 2)},
			[]mop{{code: OpConv2D, in: []int{0, 1, -1}, out: []int{2}, optType: optConv2D, opts: convOpts}},
			[]float32{5, 6}, ""},
		{"int8 per-channel weights behind DEQUANTIZE",
			[]tspec{in([]int{1, 1, 1, 2}, 1, 2), int8w, output(2, 1, 1, 2), output(1, 1, 1, 2)},
			[]mop{{code: OpDequantize, in: []int{1}, out: []int{2}},
				{code: OpConv2D, in: []int{0, 2, -1}, out: []int{3}, optType: optConv2D, opts: convOpts}},
			[]float32{5, 6}, ""},
		{"2×2 max pooling",
			[]tspec{in([]int{1, 2, 2, 1}, -1, -2, 3, -4), output(1, 1, 1, 1)},
			[]mop{{code: OpMaxPool2D, in: []int{0}, out: []int{1}, optType: optPool2D,
				opts: fbTable{0: fbU8(PaddingValid), 1: fbI32(2), 2: fbI32(2), 3: fbI32(2), 4: fbI32(2)}}},
			[]float32{3}, ""},
		{"legacy resize (no half-pixel, no align corners)",
			[]tspec{in([]int{1, 2, 2, 1}, 1, 2, 3, 4), constI32(4, 4), output(1, 4, 4, 1)},
			[]mop{{code: OpResizeBilinear, in: []int{0, 1}, out: []int{2}, optType: optResizeBilinear, opts: fbTable{}}},
			nil, "RESIZE_BILINEAR: only a 2× resize with half-pixel centers"},
		{"max pool SAME of an odd size",
			[]tspec{in([]int{1, 3, 3, 1}, -1, -2, -3, -4, -5, -6, -7, -8, -9), output(1, 2, 2, 1)},
			[]mop{{code: OpMaxPool2D, in: []int{0}, out: []int{1}, optType: optPool2D,
				opts: fbTable{0: fbU8(PaddingSame), 1: fbI32(2), 2: fbI32(2), 3: fbI32(2), 4: fbI32(2)}}},
			nil, "MAX_POOL_2D: pool 2×2 stride 2×2 on 3×3"},
		{"relu operator",
			[]tspec{in([]int{1, 1, 1, 4}, -1, 0.5, 3, 7), output(1, 1, 1, 4)},
			[]mop{{code: OpRelu, in: []int{0}, out: []int{1}}},
			nil, "RELU: no layer of the network description"},
		{"dilated convolution",
			[]tspec{in([]int{1, 3, 3, 1}, 1, 2, 3, 4, 5, 6, 7, 8, 9), constF32(rand.New(rand.NewPCG(1, 1)), 1, 2, 2, 1), output(1, 1, 1, 1)},
			[]mop{{code: OpConv2D, in: []int{0, 1, -1}, out: []int{2}, optType: optConv2D,
				opts: fbTable{0: fbU8(PaddingValid), 1: fbI32(1), 2: fbI32(1), 4: fbI32(2), 5: fbI32(2)}}},
			nil, "CONV_2D: strides 1×1, dilations 2×2"},
		{"declared output shape wrong",
			[]tspec{in([]int{1, 1, 1, 2}, 1, 2), int8w, output(1, 2, 2, 2)},
			[]mop{{code: OpConv2D, in: []int{0, 1, -1}, out: []int{2}, optType: optConv2D, opts: convOpts}},
			nil, "output [1 2 2 2] of a [1 1 1 2] input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, got, err := importMini(t, tc.tensors, tc.ops)
			if tc.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("err = %v, want containing %q", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			closeTo(t, got[0], tc.want, 1e-6)
		})
	}
}

func TestNetworkErrors(t *testing.T) {
	x := tspec{shape: []int{1, 2}, typ: Float32, values: []float32{1, 2}}
	w := tspec{shape: []int{1, 1, 1, 2}, typ: Float32, data: peers.Float32Bytes([]float32{1, 1})}
	tests := []struct {
		name    string
		tensors []tspec
		ops     []mop
		want    string
	}{
		{"unsupported builtin", []tspec{x, output(1, 2)}, []mop{{code: 28, in: []int{0}, out: []int{1}}}, "operator 0 TANH: operator TANH: unsupported"},
		{"quantized activations", []tspec{{shape: []int{1, 2}, typ: Int8}, output(1, 2)},
			[]mop{{code: OpLogistic, in: []int{0}, out: []int{1}}}, "INT8"},
		{"conv without options", []tspec{x, w, output(1, 2)},
			[]mop{{code: OpConv2D, in: []int{0, 1}, out: []int{2}}}, "missing options"},
		{"pad with computed paddings", []tspec{x, {shape: []int{2, 2}, typ: Float32}, output(1, 2)},
			[]mop{{code: OpPad, in: []int{0, 1}, out: []int{2}}}, "must be a constant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(miniModel(tc.tensors, tc.ops))
			if err != nil {
				t.Fatal(err)
			}
			_, err = NewNetwork(m)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
	// testModel's second operator is the custom "MyOp".
	m, err := Parse(buildModel(testModel()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewNetwork(m); err == nil || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `CUSTOM "MyOp"`) {
		t.Fatalf("err = %v, want ErrUnsupported naming CUSTOM \"MyOp\"", err)
	}
}

// FuzzNetwork checks that preparing a network (constant decoding, DENSIFY and DEQUANTIZE
// folding, operator checks) and importing it as a network description never panic on a
// parsable file.
func FuzzNetwork(f *testing.F) {
	x := tspec{shape: []int{2, 2}, typ: Float32, values: []float32{1, 1, 1, 1}}
	f.Add(miniModel([]tspec{x, {shape: []int{2, 2}, typ: Float16, data: f16bytes(0x4000, 0xbc00)},
		{shape: []int{2, 2}, typ: Float16}, output(2, 2), output(2, 2)},
		[]mop{{code: OpDensify, in: []int{1}, out: []int{2}, sparsity: fbTable{0: fbInts{0, 1}, 2: fbTables{
			{0: fbU8(0), 1: fbI32(2)},
			{0: fbU8(1), 2: fbU8(1), 3: fbTable{0: fbInts{0, 1, 2}}, 4: fbU8(3), 5: fbTable{0: fbBytes{1, 0}}},
		}}},
			{code: OpDequantize, in: []int{2}, out: []int{3}},
			{code: OpAdd, in: []int{0, 3}, out: []int{4}, optType: optAdd, opts: fbTable{}}}))
	f.Add(miniModel([]tspec{{shape: []int{1, 1, 1, 2}, typ: Float32}, {shape: []int{2, 1, 1, 2}, typ: Int8, data: []byte{10, 20, 0xfc, 8},
		quant: fbTable{2: fbFloats{0.1, 0.5}, 3: fbLongs{0, 0}, 6: fbI32(0)}}, output(1, 1, 1, 2)},
		[]mop{{code: OpConv2D, in: []int{0, 1, -1}, out: []int{2}, optType: optConv2D, opts: fbTable{0: fbU8(PaddingValid), 1: fbI32(1), 2: fbI32(1)}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		n, err := NewNetwork(m)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if _, err := n.ImportNet("fuzz", 0, -1); err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}
