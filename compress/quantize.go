package compress

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes/float16"
)

// Format is a storage format for quantized weights.
type Format string

// The weight formats.
const (
	Float16 Format = "f16"  // IEEE half precision: relative error ≤ 2⁻¹¹ in the normal range
	Int8    Format = "int8" // 8-bit integers with a float32 scale (and zero point when asymmetric)
	Int4    Format = "int4" // 4-bit integers, two per byte, with a float32 scale (and zero point)
)

// bits returns the integer width of f, 0 for float formats.
func (f Format) bits() int {
	switch f {
	case Int8:
		return 8
	case Int4:
		return 4
	}
	return 0
}

// QuantOptions configures weight quantization.
type QuantOptions struct {
	Format Format
	// PerChannel gives every output channel (the last axis) its own scale and zero point; otherwise
	// the whole tensor shares one.
	PerChannel bool
	// Asymmetric maps [min(w, 0), max(w, 0)] onto the unsigned range [0, 2^bits−1] with a zero point;
	// symmetric maps [−max|w|, max|w|] onto [−(2^(bits−1)−1), 2^(bits−1)−1] with zero point 0.
	Asymmetric bool
}

// check validates the options.
func (o QuantOptions) check() error {
	switch o.Format {
	case Float16:
		if o.PerChannel || o.Asymmetric {
			return fmt.Errorf("quantize: float16 has no scales (per-channel and asymmetric do not apply)")
		}
		return nil
	case Int8, Int4:
		return nil
	}
	return fmt.Errorf("quantize: unknown format %q", string(o.Format))
}

// QTensor is one quantized tensor: its integer codes (or float16 bits) packed as they are stored, and
// the scales and zero points to dequantize them: w ≈ scale·(q − zero).
type QTensor struct {
	Name string
	Dims []int
	QuantOptions
	// Packed holds the codes: float16 little-endian for Float16; one byte per code for Int8 (two's
	// complement when symmetric, unsigned when asymmetric); two codes per byte for Int4, the first in
	// the low nibble (two's complement nibbles when symmetric).
	Packed []byte
	Scale  []float32 // one per channel (last axis) or one for the tensor; nil for Float16
	Zero   []uint8   // zero points, asymmetric only
}

// Len returns the number of values.
func (q *QTensor) Len() int {
	n := 1
	for _, d := range q.Dims {
		n *= d
	}
	return n
}

// channels returns the number of scale groups and the channel of value i is i % channels.
func (q *QTensor) channels() int {
	if q.PerChannel && len(q.Dims) > 0 {
		return max(1, q.Dims[len(q.Dims)-1])
	}
	return 1
}

// Quantize quantizes values of the given dims (row-major, channels on the last axis).
func Quantize(name string, values []float32, dims []int, opt QuantOptions) (*QTensor, error) {
	if err := opt.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	q := &QTensor{Name: name, Dims: append([]int(nil), dims...), QuantOptions: opt}
	if n, err := checkedLen(dims); err != nil || n != len(values) {
		return nil, fmt.Errorf("quantize %s: %d values for dims %v", name, len(values), dims)
	}
	for i, v := range values {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("quantize %s: non-finite value at %d", name, i)
		}
	}
	if opt.Format == Float16 {
		q.Packed = make([]byte, 2*len(values))
		for i, v := range values {
			h, ok := toFloat16(v)
			if !ok {
				return nil, fmt.Errorf("quantize %s: value %g at %d overflows float16", name, v, i)
			}
			q.Packed[2*i], q.Packed[2*i+1] = byte(h), byte(h>>8)
		}
		return q, nil
	}
	c := q.channels()
	lo, hi := make([]float64, c), make([]float64, c)
	for i, v := range values {
		ch := i % c
		lo[ch] = min(lo[ch], float64(v)) // the ranges include 0: zero is exact
		hi[ch] = max(hi[ch], float64(v))
	}
	bits := opt.Format.bits()
	q.Scale = make([]float32, c)
	if opt.Asymmetric {
		q.Zero = make([]uint8, c)
	}
	qmax := float64(int(1)<<(bits-1) - 1) // 127, 7
	if opt.Asymmetric {
		qmax = float64(int(1)<<bits - 1) // 255, 15
	}
	for ch := range c {
		span := max(-lo[ch], hi[ch])
		if opt.Asymmetric {
			span = hi[ch] - lo[ch]
		}
		if span > math.MaxFloat32 {
			return nil, fmt.Errorf("quantize %s: value range %g exceeds float32", name, span)
		}
		s := float32(span / qmax)
		switch {
		case s == 0:
			s = 1 // an all-zero channel: any scale is exact
		case s < minScale:
			s = minScale // subnormal scales lose precision; such channels quantize to ~0 within the bound
		}
		for float64(s)*qmax > math.MaxFloat32 {
			s = math.Nextafter32(s, 0) // keep scale·qmax finite near float32's largest values
		}
		q.Scale[ch] = s
		if opt.Asymmetric {
			q.Zero[ch] = uint8(clamp(math.RoundToEven(-lo[ch]/float64(s)), 0, qmax))
		}
	}
	codes := make([]int, len(values))
	for i, v := range values {
		ch := i % c
		x := float64(v) / float64(q.Scale[ch])
		if opt.Asymmetric {
			codes[i] = int(clamp(math.RoundToEven(x)+float64(q.Zero[ch]), 0, qmax))
		} else {
			codes[i] = int(clamp(math.RoundToEven(x), -qmax, qmax))
		}
	}
	q.Packed = pack(codes, bits)
	return q, nil
}

// toFloat16 returns the IEEE binary16 bits nearest to x (ties to even), false when |x| rounds beyond
// the largest half, 65504. (GoMLX's float16.FromFloat32 v0.1.14 flushes values just below 2⁻¹⁴ that
// round up to it to zero, so this package rounds by itself.)
func toFloat16(x float32) (uint16, bool) {
	a := math.Abs(float64(x))
	sign := uint16(0)
	if math.Signbit(float64(x)) {
		sign = 0x8000
	}
	if a < 0x1p-14 {
		// Subnormal: units of 2⁻²⁴; rounding up to 1024 units gives 0x0400, the smallest normal.
		return sign | uint16(math.RoundToEven(a*0x1p24)), true
	}
	_, exp := math.Frexp(a)                            // a = f·2^exp, f in [0.5, 1)
	e := exp - 1                                       // a in [2^e, 2^(e+1))
	r := uint32(math.RoundToEven(math.Ldexp(a, 10-e))) // in [1024, 2048]: a carry moves to the exponent
	bits := uint32(e+15)<<10 + r - 1024
	if bits >= 0x7C00 {
		return 0, false
	}
	return sign | uint16(bits), true
}

// minScale is the smallest scale used: float32's smallest normal number, 2⁻¹²⁶.
const minScale = 0x1p-126

func clamp(x, lo, hi float64) float64 { return min(max(x, lo), hi) }

// checkedLen returns the number of elements of dims, or an error for negative or huge dims.
func checkedLen(dims []int) (int, error) {
	n := 1
	for _, d := range dims {
		if d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return 0, fmt.Errorf("dims %v: bad or too large", dims)
		}
		n *= d
	}
	return n, nil
}

// pack stores integer codes in bytes: one per byte for 8 bits, two per byte (low nibble first) for 4.
func pack(codes []int, bits int) []byte {
	if bits == 8 {
		out := make([]byte, len(codes))
		for i, c := range codes {
			out[i] = byte(c)
		}
		return out
	}
	out := make([]byte, (len(codes)+1)/2)
	for i, c := range codes {
		out[i/2] |= byte(c&0xF) << (4 * (i % 2))
	}
	return out
}

// code returns the integer code of value i.
func (q *QTensor) code(i int) int {
	if q.Format == Int8 {
		if q.Asymmetric {
			return int(q.Packed[i])
		}
		return int(int8(q.Packed[i]))
	}
	nib := int(q.Packed[i/2]>>(4*(i%2))) & 0xF
	if !q.Asymmetric && nib >= 8 {
		nib -= 16
	}
	return nib
}

// check validates the sizes of the packed data, scales and zero points.
func (q *QTensor) check() error {
	if err := q.QuantOptions.check(); err != nil {
		return fmt.Errorf("%s: %w", q.Name, err)
	}
	n, err := checkedLen(q.Dims)
	if err != nil {
		return fmt.Errorf("%s: %w", q.Name, err)
	}
	want := map[Format]int{Float16: 2 * n, Int8: n, Int4: (n + 1) / 2}[q.Format]
	if len(q.Packed) != want {
		return fmt.Errorf("%s: %d packed bytes for %d %s values, want %d", q.Name, len(q.Packed), n, q.Format, want)
	}
	if q.Format == Float16 {
		return nil
	}
	c := q.channels()
	if len(q.Scale) != c || (q.Asymmetric && len(q.Zero) != c) || (!q.Asymmetric && q.Zero != nil) {
		return fmt.Errorf("%s: %d scales and %d zero points for %d channels", q.Name, len(q.Scale), len(q.Zero), c)
	}
	return nil
}

// Dequantize returns the float32 values the tensor stands for.
func (q *QTensor) Dequantize() ([]float32, error) {
	if err := q.check(); err != nil {
		return nil, fmt.Errorf("dequantize %w", err)
	}
	n := q.Len()
	out := make([]float32, n)
	if q.Format == Float16 {
		for i := range out {
			out[i] = float16.Float16(uint16(q.Packed[2*i]) | uint16(q.Packed[2*i+1])<<8).Float32()
		}
		return out, nil
	}
	c := q.channels()
	for i := range out {
		ch := i % c
		z := 0
		if q.Asymmetric {
			z = int(q.Zero[ch])
		}
		out[i] = q.Scale[ch] * float32(q.code(i)-z)
	}
	return out, nil
}
