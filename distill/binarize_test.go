package distill

import (
	"slices"
	"testing"
)

func TestBinarizationRule(t *testing.T) {
	// 2 samples × 4 pixels × 2 channels (NHWC, pixel-major).
	src := []float32{
		// sample 0: channel 0 peaks at 0.8 (pixel 1), channel 1 peaks at 0.04 (< floor)
		0.1, 0.01, 0.8, 0.04, 0.4, 0.02, 0.39, 0.0,
		// sample 1: channel 0 flat 0.3, channel 1 peaks at 1.0
		0.3, 1.0, 0.3, 0.5, 0.3, 0.49, 0.3, -0.2,
	}
	cases := []struct {
		name string
		rule Binarization
		want []float32
	}{
		{"half maximum", Binarization{Threshold: 0.5, Floor: 0.05}, []float32{
			0, 0, 1, 0, 1, 0, 0, 0, // 0.4 ≥ 0.4 is in; 0.39 is out; channel 1 under the floor
			1, 1, 1, 1, 1, 0, 1, 0, // flat channel all in; 0.5 ≥ 0.5 in, 0.49 out
		}},
		{"peak only", Binarization{Threshold: 1, Floor: 0}, []float32{
			0, 0, 1, 1, 0, 0, 0, 0,
			1, 1, 1, 0, 1, 0, 1, 0,
		}},
		{"high floor", Binarization{Threshold: 0.5, Floor: 0.9}, []float32{
			0, 0, 0, 0, 0, 0, 0, 0,
			0, 1, 0, 1, 0, 0, 0, 0,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := make([]float32, len(src))
			if err := c.rule.Apply(got, src, 2, 2); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got  %v\nwant %v", got, c.want)
			}
		})
	}
}

func TestBinarizationInPlaceAndErrors(t *testing.T) {
	v := []float32{0.2, 1, 0.6, 0}
	if err := DefaultBinarization().Apply(v, v, 1, 1); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v, []float32{0, 1, 1, 0}) {
		t.Errorf("in place: %v", v)
	}
	bad := []struct {
		name string
		rule Binarization
		dst  int
		n, k int
	}{
		{"zero threshold", Binarization{Threshold: 0}, 4, 1, 1},
		{"threshold above 1", Binarization{Threshold: 1.5}, 4, 1, 1},
		{"negative floor", Binarization{Threshold: 0.5, Floor: -1}, 4, 1, 1},
		{"short dst", DefaultBinarization(), 3, 1, 1},
		{"channels do not divide", DefaultBinarization(), 4, 1, 3},
		{"no samples", DefaultBinarization(), 4, 0, 1},
	}
	for _, c := range bad {
		if err := c.rule.Apply(make([]float32, c.dst), make([]float32, 4), c.n, c.k); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

func TestDilateMask(t *testing.T) {
	src := []float32{
		0, 0, 0, 0,
		0, 0.7, 0, 0,
		0, 0, 0, 0,
	}
	want := []float32{
		0.7, 0.7, 0.7, 0,
		0.7, 0.7, 0.7, 0,
		0.7, 0.7, 0.7, 0,
	}
	got := make([]float32, len(src))
	if err := DilateMask(got, src, 1, 3, 4); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if err := DilateMask(got, src, 1, 4, 4); err == nil {
		t.Error("wrong size: no error")
	}
}

// TestDefaultBinarizationIgnoresFlatChannels: an unconverged teacher's flat, low channel gives an
// empty target, not an all-ones one.
func TestDefaultBinarizationIgnoresFlatChannels(t *testing.T) {
	flat := []float32{0.064, 0.07, 0.09, 0.08}
	got := make([]float32, len(flat))
	if err := DefaultBinarization().Apply(got, flat, 1, 1); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []float32{0, 0, 0, 0}) {
		t.Errorf("flat channel binarized to %v", got)
	}
}
