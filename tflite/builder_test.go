package tflite

import (
	"encoding/binary"
	"math"
)

// A minimal FlatBuffers writer for tests, independent of the reader: it lays tables out front to
// back (vtable, then table, then children) and patches the forward offsets.

type fbField interface{}

type (
	fbU8     uint8
	fbI32    int32
	fbU32    uint32
	fbU64    uint64
	fbStr    string
	fbInts   []int32
	fbBytes  []byte
	fbFloats []float32
	fbLongs  []int64
	fbTable  map[int]fbField // field id → value
	fbTables []fbTable
)

type fbWriter struct{ b []byte }

func (w *fbWriter) pad(n int) {
	for len(w.b)%n != 0 {
		w.b = append(w.b, 0)
	}
}

func (w *fbWriter) put32(at int, v uint32) { binary.LittleEndian.PutUint32(w.b[at:], v) }

// buildModel returns a TFLite file whose root table is root.
func buildModel(root fbTable) []byte {
	w := &fbWriter{b: make([]byte, 8)}
	copy(w.b[4:], "TFL3")
	pos := w.table(root)
	w.put32(0, uint32(pos))
	return w.b
}

// table writes t and its children and returns the table position.
func (w *fbWriter) table(t fbTable) int {
	maxID := -1
	for id := range t {
		maxID = max(maxID, id)
	}
	w.pad(2)
	vt := len(w.b)
	nf := maxID + 1
	w.b = append(w.b, make([]byte, 4+2*nf)...)
	binary.LittleEndian.PutUint16(w.b[vt:], uint16(4+2*nf))
	binary.LittleEndian.PutUint16(w.b[vt+2:], uint16(8+8*nf))
	w.pad(8)
	pos := len(w.b)
	w.b = append(w.b, make([]byte, 8+8*nf)...)
	w.put32(pos, uint32(int32(pos-vt)))
	type ref struct {
		slot int
		v    fbField
	}
	var refs []ref
	for id := 0; id < nf; id++ {
		v, ok := t[id]
		if !ok {
			continue
		}
		slot := pos + 8 + 8*id
		binary.LittleEndian.PutUint16(w.b[vt+4+2*id:], uint16(slot-pos))
		switch v := v.(type) {
		case fbU8:
			w.b[slot] = byte(v)
		case fbI32:
			w.put32(slot, uint32(v))
		case fbU32:
			w.put32(slot, uint32(v))
		case fbU64:
			binary.LittleEndian.PutUint64(w.b[slot:], uint64(v))
		default:
			refs = append(refs, ref{slot, v})
		}
	}
	for _, r := range refs {
		w.put32(r.slot, uint32(w.child(r.v)-r.slot))
	}
	return pos
}

// child writes a referenced value (vector, string or table) and returns its position.
func (w *fbWriter) child(v fbField) int {
	w.pad(4)
	start := len(w.b)
	vec := func(n int) {
		w.b = binary.LittleEndian.AppendUint32(w.b, uint32(n))
	}
	switch v := v.(type) {
	case fbTable:
		return w.table(v)
	case fbStr:
		vec(len(v))
		w.b = append(append(w.b, v...), 0)
	case fbBytes:
		vec(len(v))
		w.b = append(w.b, v...)
	case fbInts:
		vec(len(v))
		for _, x := range v {
			w.b = binary.LittleEndian.AppendUint32(w.b, uint32(x))
		}
	case fbFloats:
		vec(len(v))
		for _, x := range v {
			w.b = binary.LittleEndian.AppendUint32(w.b, math.Float32bits(x))
		}
	case fbLongs:
		vec(len(v))
		for _, x := range v {
			w.b = binary.LittleEndian.AppendUint64(w.b, uint64(x))
		}
	case fbTables:
		vec(len(v))
		slots := len(w.b)
		w.b = append(w.b, make([]byte, 4*len(v))...)
		for i, t := range v {
			p := w.table(t)
			w.put32(slots+4*i, uint32(p-(slots+4*i)))
		}
	default:
		panic("fbWriter: unsupported field type")
	}
	return start
}
