package codec

import (
	"math"
	"testing"
)

func TestEncodeMask(t *testing.T) {
	for _, kind := range []Kind{MSRA, UDP} {
		c := mustCodec(t, kind)
		tests := []struct {
			name string
			fill func(x, y int) float32
			want func(hx, hy int) float32
		}{
			{"empty", func(x, y int) float32 { return 0 }, func(hx, hy int) float32 { return 0 }},
			{"full", func(x, y int) float32 { return 1 }, func(hx, hy int) float32 { return 1 }},
			// Left half of the input: heatmap columns mapping entirely inside are 1, outside 0.
			{"left half", func(x, y int) float32 {
				if x < 96 {
					return 1
				}
				return 0
			}, func(hx, hy int) float32 {
				switch {
				case hx <= 22:
					return 1
				case hx >= 25:
					return 0
				}
				return -1 // boundary column: anything in [0, 1]
			}},
		}
		for _, tc := range tests {
			t.Run(kind.String()+"/"+tc.name, func(t *testing.T) {
				m := make([]float32, c.InputW*c.InputH)
				for y := 0; y < c.InputH; y++ {
					for x := 0; x < c.InputW; x++ {
						m[y*c.InputW+x] = tc.fill(x, y)
					}
				}
				out := make([]float32, c.NumHeatPixels())
				if err := c.EncodeMask(m, out); err != nil {
					t.Fatal(err)
				}
				var total float64
				for i, v := range out {
					total += float64(v)
					w := tc.want(i%c.HeatW, i/c.HeatW)
					if w < 0 {
						if v < 0 || v > 1 {
							t.Fatalf("pixel %d = %v", i, v)
						}
						continue
					}
					if v != w {
						t.Fatalf("pixel (%d, %d) = %v, want %v", i%c.HeatW, i/c.HeatW, v, w)
					}
				}
				_ = math.Abs(total)
			})
		}
	}
	c := mustCodec(t, MSRA)
	if err := c.EncodeMask(make([]float32, 3), make([]float32, c.NumHeatPixels())); err == nil {
		t.Error("short mask accepted")
	}
}
