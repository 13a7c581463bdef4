package dataset

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"0", true}, {"-0", true}, {"848.51", true}, {"0.805231", true}, {"-12.5", true},
		{"9007199254740992", true}, {"9007199254740993", false}, {"0.0000000000000000000001", true},
		{"0.00000000000000000000001", false}, {"1e3", false}, {"1.5E-2", false}, {"", false}, {"-", false},
		{"12345678901234567890", false}, {"0.1", true}, {"123456789.123456", true},
	}
	for _, tt := range tests {
		v, ok := parseDecimal([]byte(tt.in))
		if ok != tt.ok {
			t.Errorf("parseDecimal(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if want, _ := strconv.ParseFloat(tt.in, 64); ok && math.Float64bits(v) != math.Float64bits(want) {
			t.Errorf("parseDecimal(%q) = %v, strconv says %v", tt.in, v, want)
		}
	}
}

// TestParseDecimalAgreesWithStrconv compares random decimals of many shapes bit for bit.
func TestParseDecimalAgreesWithStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	taken := 0
	for it := 0; it < 200000; it++ {
		x := (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(20)-6))
		s := strconv.FormatFloat(x, 'f', rng.IntN(18)-1, 64)
		v, ok := parseDecimal([]byte(s))
		if !ok {
			continue
		}
		taken++
		if want, err := strconv.ParseFloat(s, 64); err != nil || math.Float64bits(v) != math.Float64bits(want) {
			t.Fatalf("parseDecimal(%q) = %v, strconv says %v (%v)", s, v, want, err)
		}
	}
	if taken < 100000 {
		t.Fatalf("fast path taken for only %d of 200000 numbers", taken)
	}
}
