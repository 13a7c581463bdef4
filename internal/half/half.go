// Package half converts between float32 and IEEE 754 half precision (binary16), the storage of
// TF.js float16 weights and of half-precision checkpoints.
package half

import "math"

// ToFloat32 returns the float32 value of the half-precision number with bits h (exact: every
// half is a float32).
func ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: normalize
		e := -14
		for frac&0x400 == 0 {
			frac <<= 1
			e--
		}
		frac &= 0x3ff
		return math.Float32frombits(sign | uint32(e+127)<<23 | frac<<13)
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | frac<<13)
}

// FromFloat32 returns the bits of the half-precision number nearest to f (ties to even):
// magnitudes above the largest half (65504) become infinities, those below the smallest
// subnormal (2⁻²⁴) zeros of f's sign, NaN stays NaN.
func FromFloat32(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	frac := b & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN (keep a NaN a NaN)
		if frac != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp-127 > 15: // overflow
		return sign | 0x7c00
	case exp-127 >= -14: // normal
		e := uint32(exp - 127 + 15)
		m := frac >> 13
		rest := frac & 0x1fff
		v := e<<10 | m
		if rest > 0x1000 || (rest == 0x1000 && m&1 == 1) {
			v++ // may carry into the exponent, up to infinity: correct
		}
		return sign | uint16(v)
	case exp-127 >= -25: // subnormal half
		m := frac | 0x800000 // the implicit 1
		shift := uint32(-14-(exp-127)) + 13
		v := m >> shift
		rest := m & (1<<shift - 1)
		halfway := uint32(1) << (shift - 1)
		if rest > halfway || (rest == halfway && v&1 == 1) {
			v++
		}
		return sign | uint16(v)
	}
	return sign
}
