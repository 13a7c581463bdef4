package tflite

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/posedistill/posedistill/internal/peers"
)

// tspec is one tensor of a test model: data nil makes it a graph input (fed from values).
type tspec struct {
	shape  []int
	typ    TensorType
	data   []byte
	quant  fbTable
	values []float32 // input values for graph inputs; the constant's real values otherwise
}

// mop is one operator of a test model.
type mop struct {
	code     BuiltinOperator
	in, out  []int
	optType  uint8
	opts     fbTable
	sparsity fbTable
}

// miniModel writes a TFLite file with the given tensors and operators; graph inputs are the
// tensors without data that no operator produces, the output is the last tensor.
func miniModel(ts []tspec, ops []mop) []byte {
	var tensorsT fbTables
	buffers := fbTables{{}}
	var inputs fbInts
	produced := map[int]bool{}
	for _, o := range ops {
		for _, v := range o.out {
			produced[v] = true
		}
	}
	for i, s := range ts {
		shape := make(fbInts, len(s.shape))
		for j, d := range s.shape {
			shape[j] = int32(d)
		}
		tt := fbTable{0: shape, 1: fbU8(s.typ), 3: fbStr("t" + string(rune('a'+i)))}
		if s.data != nil {
			tt[2] = fbU32(len(buffers))
			buffers = append(buffers, fbTable{0: fbBytes(s.data)})
		} else if !produced[i] {
			inputs = append(inputs, int32(i))
		}
		if s.quant != nil {
			tt[4] = s.quant
		}
		tensorsT = append(tensorsT, tt)
	}
	codes := fbTables{}
	codeIdx := map[BuiltinOperator]int{}
	var opsT fbTables
	for _, o := range ops {
		if _, ok := codeIdx[o.code]; !ok {
			codeIdx[o.code] = len(codes)
			codes = append(codes, fbTable{0: fbU8(min(int(o.code), 127)), 3: fbI32(int32(o.code))})
		}
		ins, outs := make(fbInts, len(o.in)), make(fbInts, len(o.out))
		for i, v := range o.in {
			ins[i] = int32(v)
		}
		for i, v := range o.out {
			outs[i] = int32(v)
		}
		ot := fbTable{0: fbU32(codeIdx[o.code]), 1: ins, 2: outs}
		if o.opts != nil {
			ot[3], ot[4] = fbU8(o.optType), o.opts
		}
		opsT = append(opsT, ot)
		if o.sparsity != nil {
			tensorsT[o.in[0]][6] = o.sparsity
		}
	}
	return buildModel(fbTable{
		0: fbU32(3), 1: codes, 4: buffers,
		2: fbTables{{0: tensorsT, 1: inputs, 2: fbInts{int32(len(ts) - 1)}, 3: opsT}},
	})
}

// input returns a graph-input tensor with seeded uniform values in [-2, 2).
func input(rng *rand.Rand, shape ...int) tspec {
	v := make([]float32, numElements(shape))
	for i := range v {
		v[i] = rng.Float32()*4 - 2
	}
	return tspec{shape: shape, typ: Float32, values: v}
}

// constF32 returns a float32 constant with seeded values in [-1, 1).
func constF32(rng *rand.Rand, shape ...int) tspec {
	v := make([]float32, numElements(shape))
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return tspec{shape: shape, typ: Float32, data: peers.Float32Bytes(v), values: v}
}

func constI32(vals ...int32) tspec {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	}
	return tspec{shape: []int{len(vals)}, typ: Int32, data: b}
}

func output(shape ...int) tspec { return tspec{shape: shape, typ: Float32} }

func closeTo(t *testing.T, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d values, want %d", len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= tol) {
			t.Fatalf("value %d: got %v, want %v (|diff| %.3g > %.3g)", i, got[i], want[i], d, tol)
		}
	}
}
