package codec

import (
	"math"
	"strings"
	"testing"
)

func mustCodec(t testing.TB, kind Kind) *Codec {
	t.Helper()
	c, err := New(kind, 192, 256, 48, 64, 2)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTargetWeights(t *testing.T) {
	tests := []struct {
		name   string
		kp     Keypoint
		weight float32
		peak   bool // the map holds a value of 1 (peak inside the map)
	}{
		{"visible", Keypoint{X: 96, Y: 128, V: 2}, 1, true},
		{"occluded", Keypoint{X: 96, Y: 128, V: 1}, 1, true},
		{"not labelled", Keypoint{X: 96, Y: 128, V: 0}, 0, false},
		{"negative visibility", Keypoint{X: 96, Y: 128, V: -1}, 0, false},
		{"NaN", Keypoint{X: math.NaN(), Y: 128, V: 2}, 0, false},
		{"infinite", Keypoint{X: 96, Y: math.Inf(1), V: 2}, 0, false},
		{"far left", Keypoint{X: -100, Y: 128, V: 2}, 0, false},
		{"far below", Keypoint{X: 96, Y: 1e9, V: 2}, 0, false},
		{"far right", Keypoint{X: 192 + 7*4, Y: 128, V: 2}, 0, false},
		// Outside the map but within 3σ: the visible part of the gaussian is kept.
		{"just outside", Keypoint{X: -8, Y: 128, V: 2}, 1, false},
		{"corner", Keypoint{X: 0, Y: 0, V: 2}, 1, true},
	}
	for _, kind := range []Kind{MSRA, Unbiased, UDP} {
		c := mustCodec(t, kind)
		for _, tc := range tests {
			t.Run(kind.String()+"/"+tc.name, func(t *testing.T) {
				hm := make([]float32, c.NumHeatPixels()*2)
				for i := range hm {
					hm[i] = 7 // must be overwritten
				}
				w := []float32{9, 9}
				other := Keypoint{X: 50, Y: 60, V: 2}
				if err := c.Encode([]Keypoint{tc.kp, other}, hm, w); err != nil {
					t.Fatal(err)
				}
				if w[0] != tc.weight || w[1] != 1 {
					t.Errorf("weights %v, want [%v 1]", w, tc.weight)
				}
				maxv, sum := float32(0), float32(0)
				for i := 0; i < len(hm); i += 2 {
					maxv = max(maxv, hm[i])
					sum += hm[i]
				}
				if tc.weight == 0 && sum != 0 {
					t.Errorf("zero-weight joint has heatmap sum %v", sum)
				}
				if tc.weight == 1 && sum == 0 {
					t.Errorf("weighted joint has an empty heatmap")
				}
				if tc.peak && maxv < 0.8 {
					t.Errorf("peak %v, want ≈ 1", maxv)
				}
			})
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	c := mustCodec(t, MSRA)
	kps := []Keypoint{{X: 1, Y: 1, V: 2}}
	tests := []struct {
		name string
		c    *Codec
		hm   []float32
		w    []float32
		want string
	}{
		{"short heatmaps", c, make([]float32, 10), make([]float32, 1), "heatmaps have 10"},
		{"short weights", c, make([]float32, c.NumHeatPixels()), nil, "0 weights"},
		{"bad sigma", &Codec{InputW: 192, InputH: 256, HeatW: 48, HeatH: 64}, nil, nil, "sigma"},
		{"heatmap larger", &Codec{InputW: 8, InputH: 8, HeatW: 48, HeatH: 64, Sigma: 2}, nil, nil, "larger"},
		{"nil codec", nil, nil, nil, "nil codec"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Encode(kps, tc.hm, tc.w)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestCoordinateConventions(t *testing.T) {
	tests := []struct {
		kind   Kind
		x, y   float64
		hx, hy float64
	}{
		{MSRA, 191, 255, 47.75, 63.75},
		{Unbiased, 4, 8, 1, 2},
		{UDP, 191, 255, 47, 63}, // the last input pixel maps to the last heatmap pixel
		{UDP, 0, 0, 0, 0},
	}
	for _, tc := range tests {
		c := mustCodec(t, tc.kind)
		hx, hy := c.InputToHeatmap(tc.x, tc.y)
		if math.Abs(hx-tc.hx) > 1e-12 || math.Abs(hy-tc.hy) > 1e-12 {
			t.Errorf("%v: (%v, %v) → (%v, %v), want (%v, %v)", tc.kind, tc.x, tc.y, hx, hy, tc.hx, tc.hy)
		}
		x, y := c.HeatmapToInput(hx, hy)
		if math.Abs(x-tc.x) > 1e-9 || math.Abs(y-tc.y) > 1e-9 {
			t.Errorf("%v: back to (%v, %v), want (%v, %v)", tc.kind, x, y, tc.x, tc.y)
		}
	}
}

func TestParseKind(t *testing.T) {
	for _, k := range []Kind{MSRA, Unbiased, UDP} {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseKind("gauss"); err == nil {
		t.Error("ParseKind(gauss) succeeded")
	}
}
