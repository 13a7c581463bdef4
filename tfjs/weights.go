package tfjs

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/posedistill/posedistill/internal/half"
)

// Tensor is a value known on the host: a weight, or the result of shape arithmetic evaluated while
// the graph is built. Values holds the elements in row-major order as float64, which represents
// float32, int32 and bool (0 or 1) values exactly; float32 results are rounded to float32.
type Tensor struct {
	DType  DType
	Shape  []int
	Values []float64
}

// size returns the number of elements of t.
func (t *Tensor) size() int { return len(t.Values) }

// LoadWeights reads the weight shards through read (given a shard path of the manifest) and decodes
// every weight, dequantizing quantized ones to float32 as TF.js does.
func (m *Model) LoadWeights(read func(path string) ([]byte, error)) (map[string]*Tensor, error) {
	out := map[string]*Tensor{}
	for gi, g := range m.Groups {
		var buf []byte
		for _, p := range g.Paths {
			b, err := read(p)
			if err != nil {
				return nil, fmt.Errorf("tfjs: weights group %d: %w", gi, err)
			}
			buf = append(buf, b...)
		}
		off := 0
		for _, w := range g.Weights {
			n, err := numElements(w.Shape)
			if err != nil {
				return nil, fmt.Errorf("tfjs: weight %q: %w", w.Name, err)
			}
			per, err := w.bytesPer()
			if err != nil {
				return nil, fmt.Errorf("tfjs: %w", err)
			}
			if off+n*per > len(buf) {
				return nil, fmt.Errorf("tfjs: weight %q needs bytes %d..%d, weights group %d has %d", w.Name, off, off+n*per, gi, len(buf))
			}
			t, err := decodeWeight(w, buf[off:off+n*per], n)
			if err != nil {
				return nil, fmt.Errorf("tfjs: weight %q: %w", w.Name, err)
			}
			off += n * per
			if _, dup := out[w.Name]; dup {
				return nil, fmt.Errorf("tfjs: weight %q stored twice", w.Name)
			}
			out[w.Name] = t
		}
		if off != len(buf) {
			return nil, fmt.Errorf("tfjs: weights group %d: %d bytes in the shards, the manifest describes %d", gi, len(buf), off)
		}
	}
	return out, nil
}

// decodeWeight decodes n elements of weight w from b.
func decodeWeight(w WeightSpec, b []byte, n int) (*Tensor, error) {
	t := &Tensor{DType: w.DType, Shape: append([]int{}, w.Shape...), Values: make([]float64, n)}
	switch w.Quantization {
	case "float16":
		for i := range t.Values {
			t.Values[i] = float64(half.ToFloat32(binary.LittleEndian.Uint16(b[2*i:])))
		}
	case "uint8":
		for i := range t.Values {
			t.Values[i] = float64(b[i])*w.Scale + w.Min
		}
	case "uint16":
		for i := range t.Values {
			t.Values[i] = float64(binary.LittleEndian.Uint16(b[2*i:]))*w.Scale + w.Min
		}
	case "":
		switch w.DType {
		case Float32:
			for i := range t.Values {
				t.Values[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
			}
		case Int32:
			for i := range t.Values {
				t.Values[i] = float64(int32(binary.LittleEndian.Uint32(b[4*i:])))
			}
		case Bool:
			for i := range t.Values {
				if b[i] != 0 {
					t.Values[i] = 1
				}
			}
		}
		return t, nil
	}
	// Dequantized values are float32 (TF.js stores them in a Float32Array); an int32 weight
	// rounds them.
	for i, v := range t.Values {
		switch w.DType {
		case Int32:
			t.Values[i] = math.Round(v)
		case Bool:
			if v != 0 {
				t.Values[i] = 1
			}
		default:
			t.Values[i] = float64(float32(v))
		}
	}
	return t, nil
}
