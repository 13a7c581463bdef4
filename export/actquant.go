package export

import (
	"fmt"
	"math"
)

// ActQuant is the per-tensor uint8 affine quantization of an activation, as ONNX's QuantizeLinear and
// DequantizeLinear read it: q = clamp(round(x/Scale) + Zero, 0, 255) with ties to even, and
// x ≈ Scale·(q − Zero). Zero is exact.
type ActQuant struct {
	Scale float32 `json:"scale"`
	Zero  uint8   `json:"zero"`
}

// NewActQuant returns the quantization that covers [lo, hi] widened to include 0: Scale =
// (hi − lo)/255 rounded up to a float32 (1 for an empty range, at least float32's smallest normal)
// and Zero = round(−lo/Scale), so each end of the range is representable to within Scale/2.
func NewActQuant(lo, hi float64) (ActQuant, error) {
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || lo > hi {
		return ActQuant{}, fmt.Errorf("activation range [%g, %g]: not a finite interval", lo, hi)
	}
	lo, hi = min(lo, 0), max(hi, 0)
	span := hi - lo
	if span > math.MaxFloat32/2 {
		return ActQuant{}, fmt.Errorf("activation range [%g, %g]: too wide for float32", lo, hi)
	}
	s := float32(span / 255)
	if float64(s)*255 < span {
		s = math.Nextafter32(s, float32(math.Inf(1))) // 255 steps cover the whole span
	}
	switch {
	case span == 0:
		s = 1
	case s < 0x1p-126:
		s = 0x1p-126
	}
	z := math.RoundToEven(-lo / float64(s))
	return ActQuant{Scale: s, Zero: uint8(min(max(z, 0), 255))}, nil
}

// Valid reports whether the scale is a positive finite float32.
func (a ActQuant) Valid() bool {
	return a.Scale > 0 && !math.IsInf(float64(a.Scale), 0) && !math.IsNaN(float64(a.Scale))
}

// Quantize returns the uint8 code of x, with float32 arithmetic as ONNX Runtime's QuantizeLinear.
func (a ActQuant) Quantize(x float32) uint8 {
	q := math.RoundToEven(float64(x/a.Scale)) + float64(a.Zero)
	return uint8(min(max(q, 0), 255))
}

// Dequantize returns the value of code q.
func (a ActQuant) Dequantize(q uint8) float32 {
	return float32(int(q)-int(a.Zero)) * a.Scale
}

// Range returns the interval of representable values, [Scale·(0 − Zero), Scale·(255 − Zero)].
func (a ActQuant) Range() (lo, hi float32) {
	return a.Dequantize(0), a.Dequantize(255)
}
