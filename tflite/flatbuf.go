package tflite

import (
	"encoding/binary"
	"fmt"
	"math"
)

// reader decodes FlatBuffers tables from a byte slice. Every access is bounds-checked; the first
// failure is kept in err and later reads return zero values, so a parse can run to the end of an
// item and report one error with its context.
type reader struct {
	b   []byte
	err error
}

// table is a decoded table position: pos is the table start, vt its vtable, vtLen the vtable size
// in bytes.
type table struct {
	pos, vt, vtLen int
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

// inRange reports whether [off, off+n) lies inside the buffer.
func (r *reader) inRange(off, n int) bool {
	return off >= 0 && n >= 0 && off <= len(r.b) && n <= len(r.b)-off
}

func (r *reader) u16(off int) uint16 {
	if !r.inRange(off, 2) {
		r.fail("offset %d: 2 bytes past end of file (%d bytes)", off, len(r.b))
		return 0
	}
	return binary.LittleEndian.Uint16(r.b[off:])
}

func (r *reader) u32(off int) uint32 {
	if !r.inRange(off, 4) {
		r.fail("offset %d: 4 bytes past end of file (%d bytes)", off, len(r.b))
		return 0
	}
	return binary.LittleEndian.Uint32(r.b[off:])
}

func (r *reader) u64(off int) uint64 {
	if !r.inRange(off, 8) {
		r.fail("offset %d: 8 bytes past end of file (%d bytes)", off, len(r.b))
		return 0
	}
	return binary.LittleEndian.Uint64(r.b[off:])
}

// tableAt decodes the table starting at pos.
func (r *reader) tableAt(pos int) (table, bool) {
	if r.err != nil {
		return table{}, false
	}
	soff := int64(int32(r.u32(pos)))
	vt := int64(pos) - soff
	if r.err != nil || vt < 0 || vt > int64(len(r.b)) {
		r.fail("table at %d: vtable offset %d out of range", pos, vt)
		return table{}, false
	}
	vtLen := int(r.u16(int(vt)))
	objLen := int(r.u16(int(vt) + 2))
	if r.err != nil || vtLen < 4 || vtLen%2 != 0 || !r.inRange(int(vt), vtLen) || !r.inRange(pos, objLen) {
		r.fail("table at %d: bad vtable at %d (size %d, object size %d)", pos, vt, vtLen, objLen)
		return table{}, false
	}
	return table{pos: pos, vt: int(vt), vtLen: vtLen}, true
}

// field returns the absolute position of field id, or 0 when the field is absent.
func (r *reader) field(t table, id int) int {
	vo := 4 + 2*id
	if r.err != nil || vo+2 > t.vtLen {
		return 0
	}
	off := int(r.u16(t.vt + vo))
	if off == 0 {
		return 0
	}
	return t.pos + off
}

func (r *reader) fieldU8(t table, id int, def uint8) uint8 {
	p := r.field(t, id)
	if p == 0 {
		return def
	}
	if !r.inRange(p, 1) {
		r.fail("field %d at %d past end of file", id, p)
		return def
	}
	return r.b[p]
}

func (r *reader) fieldBool(t table, id int, def bool) bool {
	d := uint8(0)
	if def {
		d = 1
	}
	return r.fieldU8(t, id, d) != 0
}

func (r *reader) fieldI32(t table, id int, def int32) int32 {
	p := r.field(t, id)
	if p == 0 {
		return def
	}
	return int32(r.u32(p))
}

func (r *reader) fieldU32(t table, id int, def uint32) uint32 {
	p := r.field(t, id)
	if p == 0 {
		return def
	}
	return r.u32(p)
}

func (r *reader) fieldU64(t table, id int, def uint64) uint64 {
	p := r.field(t, id)
	if p == 0 {
		return def
	}
	return r.u64(p)
}

// indirect follows the uoffset stored at p.
func (r *reader) indirect(p int) int {
	off := r.u32(p)
	target := int64(p) + int64(off)
	if r.err != nil || target >= int64(len(r.b)) {
		r.fail("offset at %d points to %d, past end of file (%d bytes)", p, target, len(r.b))
		return 0
	}
	return int(target)
}

// fieldTable returns the sub-table of field id; ok is false when absent or broken.
func (r *reader) fieldTable(t table, id int) (table, bool) {
	p := r.field(t, id)
	if p == 0 {
		return table{}, false
	}
	tp := r.indirect(p)
	if r.err != nil {
		return table{}, false
	}
	return r.tableAt(tp)
}

// fieldVector returns the start and length of vector field id whose elements are elem bytes.
func (r *reader) fieldVector(t table, id, elem int) (start, n int) {
	p := r.field(t, id)
	if p == 0 {
		return 0, 0
	}
	vp := r.indirect(p)
	cnt := int64(r.u32(vp))
	if r.err != nil {
		return 0, 0
	}
	if cnt*int64(elem) > int64(len(r.b)-vp-4) {
		r.fail("vector at %d: %d elements of %d bytes past end of file", vp, cnt, elem)
		return 0, 0
	}
	return vp + 4, int(cnt)
}

func (r *reader) fieldBytes(t table, id int) []byte {
	s, n := r.fieldVector(t, id, 1)
	if r.err != nil || n == 0 {
		return nil
	}
	return r.b[s : s+n : s+n]
}

func (r *reader) fieldString(t table, id int) string {
	return string(r.fieldBytes(t, id))
}

func (r *reader) fieldInts(t table, id int) []int {
	s, n := r.fieldVector(t, id, 4)
	if r.err != nil || n == 0 {
		return nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = int(int32(binary.LittleEndian.Uint32(r.b[s+4*i:])))
	}
	return out
}

func (r *reader) fieldFloats(t table, id int) []float32 {
	s, n := r.fieldVector(t, id, 4)
	if r.err != nil || n == 0 {
		return nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(r.b[s+4*i:]))
	}
	return out
}

func (r *reader) fieldLongs(t table, id int) []int64 {
	s, n := r.fieldVector(t, id, 8)
	if r.err != nil || n == 0 {
		return nil
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(r.b[s+8*i:]))
	}
	return out
}

// fieldTables returns the tables of a vector-of-tables field.
func (r *reader) fieldTables(t table, id int) []table {
	s, n := r.fieldVector(t, id, 4)
	if r.err != nil || n == 0 {
		return nil
	}
	out := make([]table, 0, n)
	for i := 0; i < n; i++ {
		tt, ok := r.tableAt(r.indirect(s + 4*i))
		if !ok {
			return nil
		}
		out = append(out, tt)
	}
	return out
}
