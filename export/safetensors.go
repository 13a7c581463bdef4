package export

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/atomicfile"
)

// maxHeaderBytes bounds the JSON header a reader accepts (the reference implementation's limit).
const maxHeaderBytes = 100 << 20

// dtypeSizes are the safetensors dtypes this package reads and writes, with their sizes in bytes.
var dtypeSizes = map[string]int{
	"BOOL": 1, "U8": 1, "I8": 1, "F16": 2, "BF16": 2, "I16": 2, "U16": 2,
	"F32": 4, "I32": 4, "U32": 4, "F64": 8, "I64": 8, "U64": 8,
}

// Tensor is one named tensor of a safetensors file: its dtype ("F32", "F16", "I8", "U8", …), shape and
// raw little-endian data.
type Tensor struct {
	Name  string
	DType string
	Shape []int
	Data  []byte
}

// Float32Tensor returns an F32 tensor holding values with the given shape.
func Float32Tensor(name string, values []float32, shape ...int) Tensor {
	data := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	return Tensor{Name: name, DType: "F32", Shape: slices.Clone(shape), Data: data}
}

// Float32s returns the values of an F32 tensor.
func (t Tensor) Float32s() ([]float32, error) {
	if t.DType != "F32" || len(t.Data)%4 != 0 {
		return nil, fmt.Errorf("tensor %s: dtype %s with %d bytes is not float32 data", t.Name, t.DType, len(t.Data))
	}
	v := make([]float32, len(t.Data)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return v, nil
}

// elements returns the number of elements of the shape.
func elements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return 0, fmt.Errorf("shape %v: bad or too large", shape)
		}
		n *= d
	}
	return n, nil
}

// check validates the tensor's dtype and that its data size matches its shape.
func (t Tensor) check() error {
	size, ok := dtypeSizes[t.DType]
	if !ok {
		return fmt.Errorf("tensor %s: unknown dtype %q", t.Name, t.DType)
	}
	n, err := elements(t.Shape)
	if err != nil {
		return fmt.Errorf("tensor %s: %w", t.Name, err)
	}
	if n*size != len(t.Data) {
		return fmt.Errorf("tensor %s: %s%v needs %d bytes, has %d", t.Name, t.DType, t.Shape, n*size, len(t.Data))
	}
	return nil
}

// headerEntry is one tensor's entry in the JSON header.
type headerEntry struct {
	DType       string `json:"dtype"`
	Shape       []int  `json:"shape"`
	DataOffsets [2]int `json:"data_offsets"`
}

// EncodeSafetensors writes the tensors (in name order, which fixes the bytes) and the optional string
// metadata in the safetensors format to w.
func EncodeSafetensors(w io.Writer, list []Tensor, metadata map[string]string) error {
	sorted := slices.Clone(list)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	offset := 0
	for i, t := range sorted {
		if err := t.check(); err != nil {
			return err
		}
		if t.Name == "" || t.Name == "__metadata__" {
			return fmt.Errorf("tensor %d: invalid name %q", i, t.Name)
		}
		if i > 0 && sorted[i-1].Name == t.Name {
			return fmt.Errorf("tensor %s: duplicate name", t.Name)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[t.Name] = headerEntry{DType: t.DType, Shape: shape, DataOffsets: [2]int{offset, offset + len(t.Data)}}
		offset += len(t.Data)
	}
	js, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("safetensors header: %w", err)
	}
	// Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
	if pad := (8 - len(js)%8) % 8; pad > 0 {
		js = append(js, bytes.Repeat([]byte(" "), pad)...)
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(js)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(js); err != nil {
		return err
	}
	for _, t := range sorted {
		if _, err := w.Write(t.Data); err != nil {
			return err
		}
	}
	return nil
}

// WriteSafetensors writes the tensors and metadata to path atomically.
func WriteSafetensors(path string, list []Tensor, metadata map[string]string) error {
	if err := atomicfile.Write(path, func(w io.Writer) error { return EncodeSafetensors(w, list, metadata) }); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// DecodeSafetensors parses a safetensors file: its tensors in data order and its metadata. It checks
// that every tensor's byte range matches its dtype and shape and that the ranges tile the data
// section exactly, as the format requires.
func DecodeSafetensors(b []byte) ([]Tensor, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("safetensors: %d bytes, too short for the header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeaderBytes || n > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("safetensors: header length %d does not fit in %d bytes", n, len(b))
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b[8 : 8+n]))
	if err := dec.Decode(&raw); err != nil {
		return nil, nil, fmt.Errorf("safetensors header: %w", err)
	}
	if rest := bytes.TrimSpace(b[8+dec.InputOffset() : 8+n]); len(rest) > 0 {
		return nil, nil, fmt.Errorf("safetensors header: %d bytes after the JSON object", len(rest))
	}
	data := b[8+n:]
	var meta map[string]string
	var list []Tensor
	starts := map[string]int{}
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("safetensors metadata: %w", err)
			}
			continue
		}
		var e headerEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, nil, fmt.Errorf("safetensors tensor %s: %w", name, err)
		}
		lo, hi := e.DataOffsets[0], e.DataOffsets[1]
		if lo < 0 || hi < lo || hi > len(data) {
			return nil, nil, fmt.Errorf("safetensors tensor %s: offsets [%d, %d] outside %d data bytes", name, lo, hi, len(data))
		}
		t := Tensor{Name: name, DType: e.DType, Shape: e.Shape, Data: slices.Clone(data[lo:hi])}
		if err := t.check(); err != nil {
			return nil, nil, fmt.Errorf("safetensors: %w", err)
		}
		starts[name] = lo
		list = append(list, t)
	}
	// The byte ranges must tile the data section: in order of their starts, each begins where the
	// previous one ended (names break ties between empty tensors).
	sort.Slice(list, func(i, j int) bool {
		if si, sj := starts[list[i].Name], starts[list[j].Name]; si != sj {
			return si < sj
		}
		return list[i].Name < list[j].Name
	})
	pos := 0
	for _, t := range list {
		if starts[t.Name] != pos {
			return nil, nil, fmt.Errorf("safetensors tensor %s: starts at byte %d, want %d (gap or overlap)", t.Name, starts[t.Name], pos)
		}
		pos += len(t.Data)
	}
	if pos != len(data) {
		return nil, nil, fmt.Errorf("safetensors: tensors cover %d of %d data bytes", pos, len(data))
	}
	return list, meta, nil
}

// ReadSafetensors reads and decodes the safetensors file at path.
func ReadSafetensors(path string) ([]Tensor, map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	list, meta, err := DecodeSafetensors(b)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	return list, meta, nil
}

// storeDTypes maps GoMLX dtypes to safetensors dtypes.
var storeDTypes = map[dtypes.DType]string{
	dtypes.Float32: "F32", dtypes.Float64: "F64", dtypes.Int32: "I32", dtypes.Int64: "I64",
	dtypes.Int8: "I8", dtypes.Uint8: "U8", dtypes.Int16: "I16", dtypes.Uint16: "U16",
	dtypes.Uint32: "U32", dtypes.Uint64: "U64", dtypes.Float16: "F16", dtypes.BFloat16: "BF16",
}

// StoreTensors returns every variable of store as a Tensor named by its path without the leading
// "/" ("stem/bn/scale"), in GoMLX layout (convolution kernels [kh, kw, in, out]).
func StoreTensors(store *model.Store) ([]Tensor, error) {
	var list []Tensor
	for v := range store.IterVariables() {
		name := strings.TrimPrefix(v.Path(), "/")
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		dt, ok := storeDTypes[t.DType()]
		if !ok {
			return nil, fmt.Errorf("variable %s: dtype %s has no safetensors equivalent", v.Path(), t.DType())
		}
		out := Tensor{Name: name, DType: dt, Shape: slices.Clone(t.Shape().Dimensions)}
		err = t.ConstBytes(func(data []byte) { out.Data = slices.Clone(data) })
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		list = append(list, out)
	}
	return list, nil
}

// LoadStoreTensors sets the tensors of list as variables of store (by name, as StoreTensors names
// them), creating the variables that do not exist; existing variables must have the same dtype and
// shape.
func LoadStoreTensors(store *model.Store, list []Tensor) error {
	fromST := map[string]dtypes.DType{}
	for dt, name := range storeDTypes {
		fromST[name] = dt
	}
	for _, t := range list {
		if err := t.check(); err != nil {
			return err
		}
		dt, ok := fromST[t.DType]
		if !ok {
			return fmt.Errorf("tensor %s: dtype %s has no GoMLX equivalent", t.Name, t.DType)
		}
		value := tensors.FromShape(shapes.Make(dt, t.Shape...))
		if err := value.MutableBytes(func(data []byte) { copy(data, t.Data) }); err != nil {
			return fmt.Errorf("tensor %s: %w", t.Name, err)
		}
		if v := store.GetVariable("/" + t.Name); v != nil {
			if v.DType() != dt || !slices.Equal(v.Shape().Dimensions, t.Shape) {
				return fmt.Errorf("tensor %s: %s%v, the variable is %s", t.Name, t.DType, t.Shape, v.Shape())
			}
			if err := v.SetValue(value); err != nil {
				return fmt.Errorf("tensor %s: %w", t.Name, err)
			}
			continue
		}
		if _, err := store.CreateVariable("/"+t.Name, value); err != nil {
			return fmt.Errorf("tensor %s: %w", t.Name, err)
		}
	}
	return nil
}
