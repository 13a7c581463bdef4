package codec

import (
	"math"
	"testing"
)

// The soft-argmax of a map whose logits are a gaussian's log (a discretised gaussian
// probability) is the gaussian's centre, to the precision the discretisation allows, anywhere
// in the map including between pixels (a peak cut by the border is biased slightly inwards);
// the score is the mass within one pixel.
func TestIntegralDecodesSubPixelCentres(t *testing.T) {
	c, err := New(Integral, 48, 64, 12, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ x, y float64 }{{23.5, 31.5}, {10.2, 40.7}, {30.9, 20.05}} {
		hx, hy := c.InputToHeatmap(tc.x, tc.y)
		logits := make([]float32, c.NumHeatPixels())
		for i := range logits {
			dx, dy := float64(i%c.HeatW)-hx, float64(i/c.HeatW)-hy
			logits[i] = float32(-(dx*dx + dy*dy) / 2) // sigma 1 heatmap pixel
		}
		preds, err := c.Decode(logits, 1)
		if err != nil {
			t.Fatal(err)
		}
		p := preds[0]
		if e := math.Hypot(p.X-tc.x, p.Y-tc.y); e > 0.05 {
			t.Errorf("centre (%.2f, %.2f): decoded (%.3f, %.3f), %.3f px off", tc.x, tc.y, p.X, p.Y, e)
		}
		if p.Score < 0.5 || p.Score > 1 {
			t.Errorf("centre (%.2f, %.2f): score %.3f, want the mass within a pixel of a sigma-1 peak (0.5–1)", tc.x, tc.y, p.Score)
		}
	}
}

// A flat map decodes to the map's centre with a low score; a channel without a finite value to
// (0, 0) with score -Inf, like the argmax codecs.
func TestIntegralFlatAndInvalidMaps(t *testing.T) {
	c, err := New(Integral, 48, 64, 12, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	logits := make([]float32, 2*c.NumHeatPixels())
	for i := range c.NumHeatPixels() {
		logits[2*i+1] = float32(math.NaN())
	}
	preds, err := c.Decode(logits, 2)
	if err != nil {
		t.Fatal(err)
	}
	if p := preds[0]; math.Abs(p.X-23.5) > 1e-9 || math.Abs(p.Y-31.5) > 1e-9 || p.Score > 0.1 {
		t.Errorf("flat map: (%.3f, %.3f) score %.3f, want the centre (23.5, 31.5) and a low score", p.X, p.Y, p.Score)
	}
	if p := preds[1]; !math.IsInf(p.Score, -1) {
		t.Errorf("NaN map: score %v, want -Inf", p.Score)
	}
}

// Integral maps flip like UDP's: an exact mirror, no one-pixel shift.
func TestIntegralFlipIsExactMirror(t *testing.T) {
	c, err := New(Integral, 48, 64, 12, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !c.UDPScale() {
		t.Fatal("integral codec does not use UDP's scaling")
	}
	hm := make([]float32, c.NumHeatPixels())
	hm[5*c.HeatW+2] = 1
	out, err := c.FlipHeatmaps(hm, 1, 1, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	if out[5*c.HeatW+c.HeatW-1-2] != 1 {
		t.Error("flipped peak not at the mirrored pixel")
	}
}
