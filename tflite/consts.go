package tflite

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/posedistill/posedistill/internal/half"
)

// constant is a tensor whose value is known when the graph is built: a model buffer, or the
// result of folding DEQUANTIZE / DENSIFY over constants. vals holds the stored numbers as
// float32 (the integer values of integer types, the decoded halves of FLOAT16); dequantized
// reports that vals are real values (quantization already applied or not needed).
type constant struct {
	shape       []int
	vals        []float32
	dequantized bool
}

// numElements returns the product of shape, or -1 when a dimension is negative or it overflows.
func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return -1
		}
		n *= d
	}
	return n
}

// decodeValues reads n elements of type typ from data as float32 numbers.
func decodeValues(typ TensorType, data []byte, n int) ([]float32, error) {
	size := typ.Size()
	if size == 0 || typ == Bool {
		return nil, fmt.Errorf("constant of type %v not supported", typ)
	}
	if len(data) != n*size {
		return nil, fmt.Errorf("buffer has %d bytes, want %d (%d × %v)", len(data), n*size, n, typ)
	}
	out := make([]float32, n)
	for i := range out {
		switch typ {
		case Float32:
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		case Float16:
			out[i] = half.ToFloat32(binary.LittleEndian.Uint16(data[2*i:]))
		case Float64:
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:])))
		case Int32:
			out[i] = float32(int32(binary.LittleEndian.Uint32(data[4*i:])))
		case Int64:
			out[i] = float32(int64(binary.LittleEndian.Uint64(data[8*i:])))
		case Int16:
			out[i] = float32(int16(binary.LittleEndian.Uint16(data[2*i:])))
		case Int8:
			out[i] = float32(int8(data[i]))
		case Uint8:
			out[i] = float32(data[i])
		}
	}
	return out, nil
}

// loadConstant decodes tensor t's buffer. Sparse tensors hold only their stored values (their
// shape is then the number of values); DENSIFY expands them.
func loadConstant(m *Model, t *Tensor) (*constant, error) {
	data := m.Buffers[t.Buffer].Data
	isFloat := t.Type == Float32 || t.Type == Float16 || t.Type == Float64
	if t.Sparsity != nil {
		size := t.Type.Size()
		if size == 0 || len(data)%size != 0 {
			return nil, fmt.Errorf("sparse constant %q: %d bytes of %v", t.Name, len(data), t.Type)
		}
		vals, err := decodeValues(t.Type, data, len(data)/size)
		if err != nil {
			return nil, fmt.Errorf("sparse constant %q: %w", t.Name, err)
		}
		return &constant{shape: []int{len(vals)}, vals: vals, dequantized: isFloat || t.Quantization == nil}, nil
	}
	n := numElements(t.Shape)
	if n < 0 {
		return nil, fmt.Errorf("constant %q: bad shape %v", t.Name, t.Shape)
	}
	vals, err := decodeValues(t.Type, data, n)
	if err != nil {
		return nil, fmt.Errorf("constant %q: %w", t.Name, err)
	}
	return &constant{shape: append([]int(nil), t.Shape...), vals: vals, dequantized: isFloat || t.Quantization == nil}, nil
}

// dequantize applies t's affine quantization to stored integer values c: per tensor
// (one scale) or per channel along QuantizedDimension.
func dequantize(t *Tensor, c *constant) (*constant, error) {
	if c.dequantized {
		return c, nil
	}
	q := t.Quantization
	if q == nil || len(q.Scale) == 0 {
		return nil, fmt.Errorf("dequantize %q: no quantization scale", t.Name)
	}
	if len(q.ZeroPoint) != 0 && len(q.ZeroPoint) != len(q.Scale) {
		return nil, fmt.Errorf("dequantize %q: %d scales but %d zero points", t.Name, len(q.Scale), len(q.ZeroPoint))
	}
	out := &constant{shape: c.shape, vals: make([]float32, len(c.vals)), dequantized: true}
	inner, dim := 1, 1
	if len(q.Scale) > 1 {
		if q.QuantizedDimension < 0 || q.QuantizedDimension >= len(c.shape) || c.shape[q.QuantizedDimension] != len(q.Scale) {
			return nil, fmt.Errorf("dequantize %q: %d scales along dimension %d of shape %v",
				t.Name, len(q.Scale), q.QuantizedDimension, c.shape)
		}
		dim = len(q.Scale)
		for _, d := range c.shape[q.QuantizedDimension+1:] {
			inner *= d
		}
	}
	for i, v := range c.vals {
		ch := (i / inner) % dim
		zp := float32(0)
		if len(q.ZeroPoint) > 0 {
			zp = float32(q.ZeroPoint[ch])
		}
		out.vals[i] = q.Scale[ch] * (v - zp)
	}
	return out, nil
}

// maxDensifyElements bounds the dense size of a sparse constant (256 MiB of float32), so a
// corrupt shape cannot make DENSIFY allocate without limit.
const maxDensifyElements = 1 << 26

// densify expands the stored values of a sparse tensor to its dense shape, following the
// sparsity's traversal order, block map and per-dimension (dense or CSR) metadata.
func densify(t *Tensor, c *constant) (*constant, error) {
	sp := t.Sparsity
	if sp == nil {
		return c, nil
	}
	rank := len(t.Shape)
	levels := len(sp.TraversalOrder)
	n := numElements(t.Shape)
	if n < 0 || n > maxDensifyElements {
		return nil, fmt.Errorf("densify %q: shape %v outside 0..%d elements", t.Name, t.Shape, maxDensifyElements)
	}
	if levels < rank || len(sp.DimMetadata) != levels || len(sp.BlockMap) != levels-rank {
		return nil, fmt.Errorf("densify %q: inconsistent sparsity (shape %v, %d levels, %d block dims)",
			t.Name, t.Shape, levels, len(sp.BlockMap))
	}
	seen := make([]bool, levels)
	for _, d := range sp.TraversalOrder {
		if d < 0 || d >= levels || seen[d] {
			return nil, fmt.Errorf("densify %q: bad traversal order %v", t.Name, sp.TraversalOrder)
		}
		seen[d] = true
	}
	blockSize := make([]int, levels-rank)
	for lvl, d := range sp.TraversalOrder {
		if d >= rank {
			blockSize[d-rank] = sp.DimMetadata[lvl].DenseSize
		}
	}
	for _, b := range sp.BlockMap {
		if b < 0 || b >= rank {
			return nil, fmt.Errorf("densify %q: bad block map %v", t.Name, sp.BlockMap)
		}
	}
	out := &constant{shape: append([]int(nil), t.Shape...), vals: make([]float32, n), dequantized: c.dequantized}
	idx := make([]int, levels)
	orig := make([]int, rank)
	next := 0
	var walk func(level, prev int) error
	walk = func(level, prev int) error {
		if level == levels {
			for i := 0; i < rank; i++ {
				orig[sp.TraversalOrder[i]] = idx[i]
			}
			for i := rank; i < levels; i++ {
				b := sp.TraversalOrder[i] - rank
				d := sp.BlockMap[b]
				orig[d] = orig[d]*blockSize[b] + idx[i]
			}
			flat := 0
			for d := 0; d < rank; d++ {
				if orig[d] < 0 || orig[d] >= t.Shape[d] {
					return fmt.Errorf("index %v outside shape %v", orig, t.Shape)
				}
				flat = flat*t.Shape[d] + orig[d]
			}
			if next >= len(c.vals) {
				return fmt.Errorf("more positions than the %d stored values", len(c.vals))
			}
			out.vals[flat] = c.vals[next]
			next++
			return nil
		}
		md := sp.DimMetadata[level]
		if md.Dense {
			if md.DenseSize < 0 || md.DenseSize > n {
				return fmt.Errorf("level %d: dense size %d", level, md.DenseSize)
			}
			for i := 0; i < md.DenseSize; i++ {
				idx[level] = i
				if err := walk(level+1, prev*md.DenseSize+i); err != nil {
					return err
				}
			}
			return nil
		}
		if prev < 0 || prev+1 >= len(md.Segments) {
			return fmt.Errorf("level %d: segment %d out of range", level, prev)
		}
		lo, hi := md.Segments[prev], md.Segments[prev+1]
		if lo < 0 || hi < lo || hi > len(md.Indices) {
			return fmt.Errorf("level %d: segment [%d, %d) outside %d indices", level, lo, hi, len(md.Indices))
		}
		for j := lo; j < hi; j++ {
			idx[level] = md.Indices[j]
			if err := walk(level+1, j); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(0, 0); err != nil {
		return nil, fmt.Errorf("densify %q: %w", t.Name, err)
	}
	if next != len(c.vals) {
		return nil, fmt.Errorf("densify %q: %d stored values, %d positions", t.Name, len(c.vals), next)
	}
	return out, nil
}
