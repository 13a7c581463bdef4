package topdown

import (
	"math"
	"testing"

	"github.com/posedistill/posedistill/codec"
)

func TestPreview(t *testing.T) {
	cfg := testConfig(t, codec.UDP)
	img := gradientImage(250, 250)
	inst := cocoInstance(1, 60, 10)
	s, err := cfg.Build(inst, img, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cfg.Preview(s)
	if err != nil {
		t.Fatal(err)
	}
	if p.Bounds().Dx() != 192 || p.Bounds().Dy() != 256 {
		t.Fatalf("preview size %v", p.Bounds())
	}
	// Far from every joint the crop shows the image itself: green = y of the source pixel.
	x, y := s.ToImage.Apply(2, 2)
	g := p.RGBAAt(2, 2).G
	if y >= 0 && y <= 249 && x >= 0 && x <= 249 && math.Abs(float64(g)-y) > 1 {
		t.Errorf("pixel (2, 2): green %d, want ≈ %.1f", g, y)
	}
	// On a visible joint the red tint dominates.
	kp := s.Keypoints[0]
	c := p.RGBAAt(int(kp.X+0.5), int(kp.Y+0.5))
	if c.R < 170 {
		t.Errorf("joint pixel %v is not tinted red", c)
	}
	if _, err := cfg.Preview(&Sample{}); err == nil {
		t.Error("empty sample accepted")
	}
}
