package render

import (
	"math"
	"testing"
)

func TestColormapEnds(t *testing.T) {
	tests := []struct {
		v       float64
		r, g, b uint8
	}{
		{0, 0, 0, 128}, {-3, 0, 0, 128}, {math.NaN(), 0, 0, 128}, {1, 230, 20, 20}, {7, 230, 20, 20},
	}
	for _, tc := range tests {
		c := Colormap(tc.v)
		if c.R != tc.r || c.G != tc.g || c.B != tc.b {
			t.Errorf("Colormap(%g) = %v", tc.v, c)
		}
	}
}

func TestHeatmapStretchesAndBlends(t *testing.T) {
	img := blank(8, 8)
	// A 2×2 heatmap, hot in its top-left cell only.
	if err := Heatmap(img, []float32{1, 0, 0, 0}, 2, 2, 1); err != nil {
		t.Fatal(err)
	}
	if c := red(img, 0, 0); c != 230 {
		t.Errorf("hot corner red %d, want 230", c)
	}
	if o := img.PixOffset(7, 7); img.Pix[o] != 0 || img.Pix[o+2] != 0 {
		t.Errorf("cold corner tinted: %v", img.Pix[o:o+4])
	}
	if err := Heatmap(img, []float32{1, 0, 0}, 2, 2, 1); err == nil {
		t.Error("wrong heatmap size accepted")
	}
}
