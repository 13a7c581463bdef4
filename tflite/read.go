package tflite

import (
	"errors"
	"fmt"
	"os"
)

// ErrFormat marks a file that is not a valid TFLite model.
var ErrFormat = errors.New("not a valid TFLite model")

// ReadFile reads and parses the TFLite model at path.
func ReadFile(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return m, nil
}

// Parse decodes a TFLite FlatBuffer. The returned model's buffers alias data.
func Parse(data []byte) (*Model, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: %d bytes is too short (truncated file?)", ErrFormat, len(data))
	}
	if id := string(data[4:8]); id != "TFL3" {
		return nil, fmt.Errorf("%w: file identifier %q, want \"TFL3\"", ErrFormat, id)
	}
	r := &reader{b: data}
	root, ok := r.tableAt(r.indirect(0))
	if !ok {
		return nil, fmt.Errorf("%w: root table: %v", ErrFormat, r.err)
	}
	m := &Model{
		Version:     r.fieldU32(root, 0, 0),
		Description: r.fieldString(root, 3),
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: model header: %v", ErrFormat, r.err)
	}
	for i, t := range r.fieldTables(root, 1) {
		deprecated := int32(int8(r.fieldU8(t, 0, 0)))
		code := r.fieldI32(t, 3, 0)
		m.OperatorCodes = append(m.OperatorCodes, OperatorCode{
			Builtin: BuiltinOperator(max(deprecated, code)),
			Custom:  r.fieldString(t, 1),
			Version: r.fieldI32(t, 2, 1),
		})
		if r.err != nil {
			return nil, fmt.Errorf("%w: operator code %d: %v", ErrFormat, i, r.err)
		}
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: operator codes: %v", ErrFormat, r.err)
	}
	for i, t := range r.fieldTables(root, 4) {
		b := Buffer{
			Data:   r.fieldBytes(t, 0),
			Offset: r.fieldU64(t, 1, 0),
			Size:   r.fieldU64(t, 2, 0),
		}
		if r.err == nil && b.Offset > 1 {
			if b.Offset > uint64(len(data)) || b.Size > uint64(len(data))-b.Offset {
				return nil, fmt.Errorf("%w: buffer %d: offset %d size %d outside the %d-byte file",
					ErrFormat, i, b.Offset, b.Size, len(data))
			}
			b.Data = data[b.Offset : b.Offset+b.Size : b.Offset+b.Size]
		}
		if r.err != nil {
			return nil, fmt.Errorf("%w: buffer %d: %v", ErrFormat, i, r.err)
		}
		m.Buffers = append(m.Buffers, b)
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: buffers: %v", ErrFormat, r.err)
	}
	for i, t := range r.fieldTables(root, 2) {
		sg, err := r.parseSubGraph(t, m)
		if err != nil {
			return nil, fmt.Errorf("%w: subgraph %d: %v", ErrFormat, i, err)
		}
		m.SubGraphs = append(m.SubGraphs, sg)
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: subgraphs: %v", ErrFormat, r.err)
	}
	if len(m.SubGraphs) == 0 {
		return nil, fmt.Errorf("%w: no subgraphs", ErrFormat)
	}
	return m, nil
}

func (r *reader) parseSubGraph(t table, m *Model) (SubGraph, error) {
	sg := SubGraph{
		Name:    r.fieldString(t, 4),
		Inputs:  r.fieldInts(t, 1),
		Outputs: r.fieldInts(t, 2),
	}
	if r.err != nil {
		return sg, r.err
	}
	for i, tt := range r.fieldTables(t, 0) {
		ten := r.parseTensor(tt)
		if r.err != nil {
			return sg, fmt.Errorf("tensor %d: %v", i, r.err)
		}
		if ten.Buffer >= len(m.Buffers) {
			return sg, fmt.Errorf("tensor %d %q: buffer index %d out of range (%d buffers)", i, ten.Name, ten.Buffer, len(m.Buffers))
		}
		sg.Tensors = append(sg.Tensors, ten)
	}
	if r.err != nil {
		return sg, fmt.Errorf("tensors: %v", r.err)
	}
	n := len(sg.Tensors)
	if err := checkIndices("inputs", sg.Inputs, n, false); err != nil {
		return sg, err
	}
	if err := checkIndices("outputs", sg.Outputs, n, false); err != nil {
		return sg, err
	}
	for i, ot := range r.fieldTables(t, 3) {
		op := Operator{
			OpcodeIndex:   int(r.fieldU32(ot, 0, 0)),
			Inputs:        r.fieldInts(ot, 1),
			Outputs:       r.fieldInts(ot, 2),
			OptionsType:   r.fieldU8(ot, 3, 0),
			CustomOptions: r.fieldBytes(ot, 5),
		}
		if opt, ok := r.fieldTable(ot, 4); ok && op.OptionsType != 0 {
			op.Options = r.parseOptions(op.OptionsType, opt)
		}
		if r.err != nil {
			return sg, fmt.Errorf("operator %d: %v", i, r.err)
		}
		if op.OpcodeIndex < 0 || op.OpcodeIndex >= len(m.OperatorCodes) {
			return sg, fmt.Errorf("operator %d: opcode index %d out of range (%d codes)", i, op.OpcodeIndex, len(m.OperatorCodes))
		}
		if err := checkIndices(fmt.Sprintf("operator %d inputs", i), op.Inputs, n, true); err != nil {
			return sg, err
		}
		if err := checkIndices(fmt.Sprintf("operator %d outputs", i), op.Outputs, n, false); err != nil {
			return sg, err
		}
		sg.Operators = append(sg.Operators, op)
	}
	if r.err != nil {
		return sg, fmt.Errorf("operators: %v", r.err)
	}
	return sg, nil
}

func (r *reader) parseTensor(t table) Tensor {
	ten := Tensor{
		Shape:      r.fieldInts(t, 0),
		Type:       TensorType(int8(r.fieldU8(t, 1, 0))),
		Buffer:     int(r.fieldU32(t, 2, 0)),
		Name:       r.fieldString(t, 3),
		IsVariable: r.fieldBool(t, 5, false),
	}
	if q, ok := r.fieldTable(t, 4); ok {
		qp := &Quantization{
			Min:                r.fieldFloats(q, 0),
			Max:                r.fieldFloats(q, 1),
			Scale:              r.fieldFloats(q, 2),
			ZeroPoint:          r.fieldLongs(q, 3),
			QuantizedDimension: int(r.fieldI32(q, 6, 0)),
		}
		if len(qp.Scale) > 0 || len(qp.Min) > 0 {
			ten.Quantization = qp
		}
	}
	if sp, ok := r.fieldTable(t, 6); ok {
		ten.Sparsity = r.parseSparsity(sp)
	}
	return ten
}

// checkIndices verifies tensor indices are in [0, n) (or -1 when optional is allowed).
func checkIndices(what string, idx []int, n int, optional bool) error {
	for _, i := range idx {
		if (i < 0 && !(optional && i == -1)) || i >= n {
			return fmt.Errorf("%s: tensor index %d out of range (%d tensors)", what, i, n)
		}
	}
	return nil
}

func (r *reader) parseSparsity(t table) *Sparsity {
	s := &Sparsity{TraversalOrder: r.fieldInts(t, 0), BlockMap: r.fieldInts(t, 1)}
	for _, dt := range r.fieldTables(t, 2) {
		d := DimMetadata{
			Dense:     r.fieldU8(dt, 0, 0) == 0,
			DenseSize: int(r.fieldI32(dt, 1, 0)),
			Segments:  r.indexVector(dt, 2),
			Indices:   r.indexVector(dt, 4),
		}
		s.DimMetadata = append(s.DimMetadata, d)
	}
	return s
}

// indexVector decodes a SparseIndexVector union (type at field id, value at id+1).
func (r *reader) indexVector(t table, id int) []int {
	typ := r.fieldU8(t, id, 0)
	vt, ok := r.fieldTable(t, id+1)
	if !ok {
		return nil
	}
	switch typ {
	case 1: // Int32Vector
		return r.fieldInts(vt, 0)
	case 2: // Uint16Vector
		s, n := r.fieldVector(vt, 0, 2)
		out := make([]int, n)
		for i := range out {
			out[i] = int(r.u16(s + 2*i))
		}
		return out
	case 3: // Uint8Vector
		b := r.fieldBytes(vt, 0)
		out := make([]int, len(b))
		for i, v := range b {
			out[i] = int(v)
		}
		return out
	}
	r.fail("sparse index vector: unknown type %d", typ)
	return nil
}
