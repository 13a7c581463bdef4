package codec

import (
	"math"
	"strings"
	"testing"
)

// TestDecodeOffsetsRoundTrip encodes keypoints as MoveNet's targets (gaussian heatmaps and the
// offsets near each joint) and decodes them with DecodeOffsets: every labelled joint comes back
// at its position within float32 rounding, at any sub-cell position and near the borders, where
// the heatmaps alone (Decode) are off by up to half a cell; unlabelled joints have no offsets.
func TestDecodeOffsetsRoundTrip(t *testing.T) {
	c, err := New(MoveNet, 192, 192, 48, 48, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		kps  []Keypoint
	}{
		{"sub-cell", []Keypoint{{X: 20.3, Y: 30.7, V: 2}, {X: 150.1, Y: 100.9, V: 1}, {X: 96, Y: 96, V: 2}}},
		{"borders", []Keypoint{{X: 0.4, Y: 191.2, V: 2}, {X: 190.9, Y: 1.1, V: 2}}},
	} {
		k := len(tc.kps)
		n := c.NumHeatPixels()
		hm, w := make([]float32, n*k), make([]float32, k)
		if err := c.Encode(tc.kps, hm, w); err != nil {
			t.Fatal(err)
		}
		off, mask := make([]float32, n*2*k), make([]float32, n*k)
		if err := c.OffsetTargets(tc.kps, 1, off, mask); err != nil {
			t.Fatal(err)
		}
		preds, err := c.DecodeOffsets(OffsetHeads{Heatmaps: hm, Offsets: off}, k)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := c.Decode(hm, k)
		if err != nil {
			t.Fatal(err)
		}
		var worstPlain float64
		for j, kp := range tc.kps {
			if e := math.Hypot(preds[j].X-kp.X, preds[j].Y-kp.Y); e > 1e-4 {
				t.Errorf("%s joint %d: decoded (%.5f, %.5f), want (%.5f, %.5f)", tc.name, j, preds[j].X, preds[j].Y, kp.X, kp.Y)
			}
			// The gaussian's peak (1), or beside it for a joint whose nearest cell is off the map.
			if preds[j].Score < 0.85 || preds[j].Score > 1 {
				t.Errorf("%s joint %d: score %v, want the gaussian's peak", tc.name, j, preds[j].Score)
			}
			worstPlain = math.Max(worstPlain, math.Hypot(plain[j].X-kp.X, plain[j].Y-kp.Y))
		}
		t.Logf("%s: heatmaps alone decode up to %.2f px off", tc.name, worstPlain)
		if worstPlain < 0.5 {
			t.Errorf("%s: the heatmaps alone decode within %.2f px: the offsets are not tested", tc.name, worstPlain)
		}
		// A 3×3 window per joint (fewer at the borders: Y 191.2 is cell 47.8, nearest 48, off the
		// 48-cell map, so its window keeps one row).
		var cells float32
		for _, v := range mask {
			cells += v
		}
		if cells < float32(2*k) || cells > float32(9*k) {
			t.Errorf("%s: %v masked cells for %d joints", tc.name, cells, k)
		}
	}
	// An unlabelled joint has no offset targets.
	off, mask := make([]float32, c.NumHeatPixels()*2), make([]float32, c.NumHeatPixels())
	if err := c.OffsetTargets([]Keypoint{{X: 50, Y: 50, V: 0}}, 2, off, mask); err != nil {
		t.Fatal(err)
	}
	for i := range mask {
		if mask[i] != 0 || off[2*i] != 0 || off[2*i+1] != 0 {
			t.Fatal("an unlabelled joint has offset targets")
		}
	}
}

// TestDecodeOffsetsPrior checks MoveNet's weighting: with two equal peaks, the joint is the one
// near the regressed joint of the most central person (centre heatmap and regression); without
// them, the first peak.
func TestDecodeOffsetsPrior(t *testing.T) {
	c, err := New(MoveNet, 64, 64, 16, 16, 2)
	if err != nil {
		t.Fatal(err)
	}
	n := c.NumHeatPixels()
	hm, off := make([]float32, n), make([]float32, 2*n)
	hm[2*16+2], hm[12*16+12] = 0.9, 0.9 // peaks at cells (2, 2) and (12, 12)
	centre := make([]float32, n)
	for i := range centre {
		centre[i] = -10
	}
	centre[9*16+9] = 5 // a person centred at cell (9, 9)
	reg := make([]float32, 2*n)
	reg[2*(9*16+9)], reg[2*(9*16+9)+1] = 3, 3 // its joint at (12, 12)
	got, err := c.DecodeOffsets(OffsetHeads{Heatmaps: hm, Offsets: off, Centre: centre, Regression: reg}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].HX != 12 || got[0].HY != 12 {
		t.Errorf("with the prior: cell (%d, %d), want (12, 12)", got[0].HX, got[0].HY)
	}
	got, err = c.DecodeOffsets(OffsetHeads{Heatmaps: hm, Offsets: off}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].HX != 2 || got[0].HY != 2 {
		t.Errorf("without: cell (%d, %d), want the first peak (2, 2)", got[0].HX, got[0].HY)
	}
}

// TestDecodeOffsetsErrors checks the shapes are validated, with an error naming the head.
func TestDecodeOffsetsErrors(t *testing.T) {
	c, err := New(MoveNet, 64, 64, 16, 16, 2)
	if err != nil {
		t.Fatal(err)
	}
	n := c.NumHeatPixels()
	for _, tc := range []struct {
		name string
		o    OffsetHeads
		want string
	}{
		{"heatmaps", OffsetHeads{Heatmaps: make([]float32, n-1), Offsets: make([]float32, 2*n)}, "heatmaps have"},
		{"offsets", OffsetHeads{Heatmaps: make([]float32, n), Offsets: make([]float32, n)}, "offsets have"},
		{"centre alone", OffsetHeads{Heatmaps: make([]float32, n), Offsets: make([]float32, 2*n), Centre: make([]float32, n)}, "go together"},
		{"regression", OffsetHeads{Heatmaps: make([]float32, n), Offsets: make([]float32, 2*n), Centre: make([]float32, n), Regression: make([]float32, n)}, "regression"},
	} {
		if _, err := c.DecodeOffsets(tc.o, 1); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	if k, err := ParseKind("movenet"); err != nil || k != MoveNet || k.String() != "movenet" {
		t.Errorf("ParseKind(movenet) = %v, %v", k, err)
	}
}

// TestRoundFloat16 checks the float16 rounding against values MoveNet's graphs store.
func TestRoundFloat16(t *testing.T) {
	for _, tc := range []struct{ in, want float32 }{
		{1.8, 1.7998046875},
		{1.0 / 48, 0.0208282470703125},
		{1.0 / 64, 0.015625},
		{1, 1},
	} {
		if got := roundFloat16(tc.in); got != tc.want {
			t.Errorf("roundFloat16(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
