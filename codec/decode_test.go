package codec

import (
	"math"
	"testing"
)

// TestDecodeMultiJointBatch decodes a batch of several joints each, near borders too.
func TestDecodeMultiJointBatch(t *testing.T) {
	for _, kind := range []Kind{MSRA, Unbiased, UDP} {
		c := mustCodec(t, kind)
		samples := [][]Keypoint{
			{{X: 20.3, Y: 30.7, V: 2}, {X: 150.1, Y: 200.9, V: 2}, {X: 3.2, Y: 250.6, V: 1}},
			{{X: 96, Y: 128, V: 2}, {X: 188.8, Y: 5.5, V: 2}, {X: 60.25, Y: 70.75, V: 2}},
		}
		k := 3
		per := c.NumHeatPixels() * k
		hm := make([]float32, len(samples)*per)
		w := make([]float32, k)
		for i, kps := range samples {
			if err := c.Encode(kps, hm[i*per:(i+1)*per], w); err != nil {
				t.Fatal(err)
			}
		}
		preds, err := c.DecodeBatch(hm, len(samples), k)
		if err != nil {
			t.Fatal(err)
		}
		sx, _ := c.HeatmapToInput(1, 1)
		tol := 0.5 * sx // MSRA's encoding quantises to the heatmap grid
		if kind != MSRA {
			tol = 0.05
		}
		for i, kps := range samples {
			for j, kp := range kps {
				p := preds[i][j]
				if e := math.Hypot(p.X-kp.X, p.Y-kp.Y); e > tol*math.Sqrt2 {
					t.Errorf("%v sample %d joint %d: decoded (%.3f, %.3f), want (%.3f, %.3f)", kind, i, j, p.X, p.Y, kp.X, kp.Y)
				}
			}
		}
	}
}

func TestDecodeDegenerate(t *testing.T) {
	c := mustCodec(t, Unbiased)
	n := c.NumHeatPixels()
	nan := make([]float32, n)
	for i := range nan {
		nan[i] = float32(math.NaN())
	}
	flat := make([]float32, n)
	neg := make([]float32, n)
	for i := range neg {
		neg[i] = -1
	}
	neg[5*c.HeatW+7] = -0.5
	tests := []struct {
		name   string
		hm     []float32
		hx, hy int
		score  float64
	}{
		{"all NaN", nan, 0, 0, math.Inf(-1)},
		{"flat zero", flat, 0, 0, 0},
		{"negative", neg, 7, 5, -0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := c.Decode(tc.hm, 1)
			if err != nil {
				t.Fatal(err)
			}
			if p[0].HX != tc.hx || p[0].HY != tc.hy || p[0].Score != tc.score {
				t.Errorf("got %+v, want argmax (%d, %d) score %v", p[0], tc.hx, tc.hy, tc.score)
			}
			if math.IsNaN(p[0].X) || math.IsNaN(p[0].Y) {
				t.Errorf("NaN position %+v", p[0])
			}
		})
	}
	if _, err := c.Decode(make([]float32, 5), 1); err == nil {
		t.Error("decode of a short heatmap succeeded")
	}
	if _, err := c.DecodeBatch(make([]float32, n), 2, 1); err == nil {
		t.Error("decode batch of a short heatmap succeeded")
	}
}

// FuzzDecode checks that any heatmap content decodes without panicking to a position inside the
// input crop (or the origin with score -Inf).
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3}, uint8(0))
	f.Add([]byte{255, 255, 255, 127, 0, 0, 192, 127}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		c, err := New(Kind(kind%3), 16, 16, 8, 8, 1)
		if err != nil {
			t.Fatal(err)
		}
		hm := make([]float32, c.NumHeatPixels())
		for i := range hm {
			if 4*i+3 < len(data) {
				b := data[4*i : 4*i+4]
				hm[i] = math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
			}
		}
		p, err := c.Decode(hm, 1)
		if err != nil {
			t.Fatal(err)
		}
		x, y := p[0].X, p[0].Y
		lo, _ := c.HeatmapToInput(-1, -1)
		hi, _ := c.HeatmapToInput(float64(c.HeatW), float64(c.HeatH))
		if !(x >= lo && x <= hi && y >= lo && y <= hi) {
			t.Errorf("decoded (%v, %v) outside [%v, %v]", x, y, lo, hi)
		}
	})
}

// FuzzEncode checks that any keypoint encodes without panicking, with weight 0 or 1 and values
// in [0, 1].
func FuzzEncode(f *testing.F) {
	f.Add(1.5, 2.5, 2.0, uint8(0))
	f.Add(-1e300, 1e300, 1.0, uint8(2))
	f.Fuzz(func(t *testing.T, x, y, v float64, kind uint8) {
		c, err := New(Kind(kind%3), 16, 16, 8, 8, 1)
		if err != nil {
			t.Fatal(err)
		}
		hm := make([]float32, c.NumHeatPixels())
		w := make([]float32, 1)
		if err := c.Encode([]Keypoint{{X: x, Y: y, V: v}}, hm, w); err != nil {
			t.Fatal(err)
		}
		if w[0] != 0 && w[0] != 1 {
			t.Errorf("weight %v", w[0])
		}
		for _, h := range hm {
			if !(h >= 0 && h <= 1) {
				t.Fatalf("heatmap value %v", h)
			}
		}
	})
}
