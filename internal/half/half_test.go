package half

import (
	"math"
	"testing"
)

// Every one of the 65,536 half-precision values survives float32 and back (NaNs stay NaNs).
func TestRoundTripsEveryHalf(t *testing.T) {
	for h := range 1 << 16 {
		f := ToFloat32(uint16(h))
		back := FromFloat32(f)
		if math.IsNaN(float64(f)) {
			if !math.IsNaN(float64(ToFloat32(back))) {
				t.Fatalf("%#04x: NaN became %#04x", h, back)
			}
			continue
		}
		if back != uint16(h) {
			t.Fatalf("%#04x → %v → %#04x", h, f, back)
		}
	}
}

// Conversion rounds to the nearest half, ties to even, and saturates to infinity.
func TestFromFloat32Rounds(t *testing.T) {
	for _, tc := range []struct {
		in   float32
		want float32
	}{
		{1 + 1.0/2048, 1},                        // a tie between 1 and 1+2⁻¹⁰: to even (1)
		{1 + 3.0/2048, 1 + 2.0/1024},             // a tie: to even (1+2⁻⁹)
		{1 + 1.0/2048 + 1.0/65536, 1 + 1.0/1024}, // just above the tie: up
		{0.1, 0.0999755859375},
		{-2.5e-3, -0.0025005340576171875}, // 1311·2⁻¹⁹, nearer than 1310·2⁻¹⁹
		{65504, 65504},
		{70000, float32(math.Inf(1))},
		{1e-8, 0},
		{6e-8, 5.960464477539063e-08}, // the smallest subnormal
	} {
		if got := ToFloat32(FromFloat32(tc.in)); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.in, got, tc.want)
		}
	}
}

// ToFloat32 on known values: normals, subnormals, signed zero, infinities, NaN.
func TestToFloat32KnownValues(t *testing.T) {
	tests := []struct {
		bits uint16
		want float32
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0001, 1.0 / (1 << 24)}, {0x8001, -1.0 / (1 << 24)},
		{0x0400, 1.0 / (1 << 14)}, {0x3555, 0.333251953125}, {0x0000, 0},
		{0x7c00, float32(math.Inf(1))}, {0xfc00, float32(math.Inf(-1))},
	}
	for _, tc := range tests {
		if got := ToFloat32(tc.bits); got != tc.want {
			t.Errorf("ToFloat32(%#04x) = %v, want %v", tc.bits, got, tc.want)
		}
	}
	if got := ToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("ToFloat32(0x8000) = %v, want -0", got)
	}
	if got := ToFloat32(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("ToFloat32(0x7e00) = %v, want NaN", got)
	}
}
