package codec

import (
	"math"
	"testing"
)

// blob is one gaussian of a test heatmap channel, in heatmap pixels.
type blob struct{ x, y, amp float64 }

// pairHeatmaps renders two channels (a left/right pair) of σ-gaussians on c's heatmap grid.
func pairHeatmaps(c *Codec, left, right []blob) []float32 {
	hm := make([]float32, c.NumHeatPixels()*2)
	for ch, blobs := range [][]blob{left, right} {
		for y := range c.HeatH {
			for x := range c.HeatW {
				v := 0.0
				for _, b := range blobs {
					d2 := (float64(x)-b.x)*(float64(x)-b.x) + (float64(y)-b.y)*(float64(y)-b.y)
					v = max(v, b.amp*math.Exp(-d2/(2*c.Sigma*c.Sigma)))
				}
				hm[(y*c.HeatW+x)*2+ch] = float32(v)
			}
		}
	}
	return hm
}

func TestSeparatePairs(t *testing.T) {
	c := mustCodec(t, Unbiased)
	a, b := [2]float64{20, 30}, [2]float64{30, 40} // two feet, heatmap pixels
	at := func(p [2]float64, amp float64) blob { return blob{p[0], p[1], amp} }
	on := func(p [2]float64) [2]float64 { return p }
	tests := []struct {
		name        string
		left, right []blob
		ratio       float64
		want        [2][2]float64 // left's and right's spot afterwards
	}{
		{"both on one foot, the right has a second peak on the other",
			[]blob{at(a, 1), at(b, 0.1)}, []blob{at(a, 0.9), at(b, 0.7)}, 0.3, [2][2]float64{on(a), on(b)}},
		{"both have a second peak: the larger sum wins",
			[]blob{at(a, 1), at(b, 0.5)}, []blob{at(a, 0.8), at(b, 0.6)}, 0.3, [2][2]float64{on(a), on(b)}},
		{"the left moves when its second peak is the stronger choice",
			[]blob{at(a, 0.8), at(b, 0.75)}, []blob{at(a, 1), at(b, 0.2)}, 0.3, [2][2]float64{on(b), on(a)}},
		{"joints that truly coincide keep their maxima",
			[]blob{at(a, 1)}, []blob{at(a, 0.9)}, 0.3, [2][2]float64{on(a), on(a)}},
		{"a second peak below the ratio is ignored",
			[]blob{at(a, 1), at(b, 0.1)}, []blob{at(a, 0.9), at(b, 0.2)}, 0.3, [2][2]float64{on(a), on(a)}},
		{"pairs already apart are left alone",
			[]blob{at(a, 1), at(b, 0.9)}, []blob{at(b, 1), at(a, 0.9)}, 0.3, [2][2]float64{on(a), on(b)}},
		{"disabled",
			[]blob{at(a, 1), at(b, 0.1)}, []blob{at(a, 0.9), at(b, 0.7)}, 0, [2][2]float64{on(a), on(a)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hm := pairHeatmaps(c, tt.left, tt.right)
			preds, err := c.Decode(hm, 2)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.SeparatePairs(hm, 2, preds, []int{1, 0}, PairSeparation{MinRatio: tt.ratio}); err != nil {
				t.Fatal(err)
			}
			for j, want := range tt.want {
				wx, wy := c.HeatmapToInput(want[0], want[1])
				if e := math.Hypot(preds[j].X-wx, preds[j].Y-wy); e > 0.1 {
					t.Errorf("joint %d at (%.2f, %.2f), want (%.2f, %.2f)", j, preds[j].X, preds[j].Y, wx, wy)
				}
				if preds[j].HX != int(want[0]) || preds[j].HY != int(want[1]) {
					t.Errorf("joint %d read at heatmap pixel (%d, %d), want %v", j, preds[j].HX, preds[j].HY, want)
				}
			}
		})
	}
}

func TestSeparatePairsRejectsBadInput(t *testing.T) {
	c := mustCodec(t, Unbiased)
	hm := pairHeatmaps(c, []blob{{20, 30, 1}}, []blob{{20, 30, 1}})
	preds, err := c.Decode(hm, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SeparatePairs(hm, 2, preds, []int{1, 0}, PairSeparation{MinRatio: 1.5}); err == nil {
		t.Error("ratio 1.5 accepted")
	}
	if err := c.SeparatePairs(hm, 2, preds, []int{1}, PairSeparation{MinRatio: 0.3}); err == nil {
		t.Error("a mirror index of the wrong length accepted")
	}
}
