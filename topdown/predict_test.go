package topdown

import (
	"math"
	"testing"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/skeleton"
)

// TestDecodeSeparatesPairs: with Pairs enabled, a right ankle whose heatmap peaks on the left
// ankle's spot and has a second peak of its own is decoded there (HX, where its location maps are
// read, included); disabled, it stays on the left ankle.
func TestDecodeSeparatesPairs(t *testing.T) {
	c, err := codec.New(codec.Unbiased, 96, 128, 24, 32, 2)
	if err != nil {
		t.Fatal(err)
	}
	set := skeleton.COCO17()
	la, ra := set.Index("left_ankle"), set.Index("right_ankle")
	k := set.NumJoints()
	hm := make([]float32, c.NumHeatPixels()*k)
	gauss := func(j int, cx, cy, amp float64) {
		for y := range c.HeatH {
			for x := range c.HeatW {
				d2 := (float64(x)-cx)*(float64(x)-cx) + (float64(y)-cy)*(float64(y)-cy)
				i := (y*c.HeatW+x)*k + j
				hm[i] = max(hm[i], float32(amp*math.Exp(-d2/8)))
			}
		}
	}
	gauss(la, 8, 26, 1)
	gauss(ra, 8, 26, 0.9)
	gauss(ra, 16, 27, 0.7)
	for _, tt := range []struct {
		ratio  float64
		wantHX int
	}{{0, 8}, {0.5, 16}} {
		cfg := NewConfig(c, set)
		cfg.Pairs = codec.PairSeparation{MinRatio: tt.ratio}
		preds, err := cfg.Decode(hm)
		if err != nil {
			t.Fatal(err)
		}
		if preds[la].HX != 8 || preds[ra].HX != tt.wantHX {
			t.Errorf("ratio %v: ankles at heatmap x %d and %d, want 8 and %d", tt.ratio, preds[la].HX, preds[ra].HX, tt.wantHX)
		}
	}
}
