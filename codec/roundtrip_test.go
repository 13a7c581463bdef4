package codec

import (
	"math"
	"testing"
)

// TestEncodeDecodeRoundTrip encodes one joint at a grid of sub-pixel positions and checks that
// decoding gives it back within each variant's precision, in heatmap pixels.
func TestEncodeDecodeRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		kind   Kind
		refine Refinement
		tol    float64 // heatmap pixels
		edge   float64 // tolerance on the outermost rows and columns, where there is no neighbour
	}{
		// MSRA's target is centred on the nearest pixel: half a pixel is lost at encoding.
		{"msra/quarter", MSRA, RefineDefault, 0.5 + 1e-9, 0.5 + 1e-9},
		{"unbiased/quarter", Unbiased, RefineQuarter, 0.25 + 1e-9, 0.5 + 1e-9},
		{"unbiased/none", Unbiased, RefineNone, 0.5 + 1e-9, 0.5 + 1e-9},
		{"unbiased/dark", Unbiased, RefineDefault, 0.01, 0.01},
		{"udp/dark", UDP, RefineDefault, 0.01, 0.01},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.kind, 192, 256, 48, 64, 2)
			if err != nil {
				t.Fatal(err)
			}
			c.Refine = tc.refine
			worst := 0.0
			hm := make([]float32, c.NumHeatPixels())
			wt := make([]float32, 1)
			var pts [][2]float64
			for hy := 20.0; hy < 21; hy += 0.1 { // one pixel in steps of 0.1
				for hx := 10.0; hx < 11; hx += 0.1 {
					pts = append(pts, [2]float64{hx, hy})
				}
			}
			for hy := 0.0; hy <= float64(c.HeatH-1); hy += 0.71 { // the whole map, borders too
				for hx := 0.0; hx <= float64(c.HeatW-1); hx += 0.93 {
					pts = append(pts, [2]float64{hx, hy})
				}
			}
			for _, pt := range pts {
				{
					hx, hy := pt[0], pt[1]
					x, y := c.HeatmapToInput(hx, hy)
					if err := c.Encode([]Keypoint{{X: x, Y: y, V: 2}}, hm, wt); err != nil {
						t.Fatal(err)
					}
					if wt[0] != 1 {
						t.Fatalf("weight %v at (%v, %v)", wt[0], hx, hy)
					}
					p, err := c.Decode(hm, 1)
					if err != nil {
						t.Fatal(err)
					}
					gx, gy := c.InputToHeatmap(p[0].X, p[0].Y)
					e := math.Max(math.Abs(gx-hx), math.Abs(gy-hy))
					tol := tc.tol
					if hx < 0.5 || hy < 0.5 || hx >= float64(c.HeatW)-1.5 || hy >= float64(c.HeatH)-1.5 {
						tol = tc.edge
					} else {
						worst = math.Max(worst, e)
					}
					if e > tol {
						t.Errorf("(%.2f, %.2f) decoded to (%.4f, %.4f): error %.4f > %v", hx, hy, gx, gy, e, tol)
					}
					if math.Abs(p[0].Score-1) > 0.15 {
						t.Errorf("score %v at (%v, %v)", p[0].Score, hx, hy)
					}
				}
			}
			t.Logf("worst error %.5f heatmap px away from the outermost pixels", worst)
		})
	}
}
