package blazepose

import (
	"math"
	"testing"
)

// TestMask maps a crop whose left half is "person" back onto the image, upright and rotated.
func TestMask(t *testing.T) {
	seg := make([]float32, InputSize*InputSize)
	for y := 0; y < InputSize; y++ {
		for x := 0; x < InputSize; x++ {
			seg[y*InputSize+x] = -6
			if x < InputSize/2 {
				seg[y*InputSize+x] = 6
			}
		}
	}
	for _, c := range []struct {
		name     string
		rot      float64
		set, not [][2]int // pixels expected in and out of the mask
	}{
		{"upright", 0, [][2]int{{20, 10}, {48, 70}}, [][2]int{{52, 40}, {80, 40}, {10, 40}, {30, 75}}},
		{"rotated half a turn", math.Pi, [][2]int{{52, 40}, {80, 70}}, [][2]int{{20, 10}, {48, 40}, {85, 40}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := Person{ROI: Rect{CX: 50, CY: 40, W: 64, H: 64, Rotation: c.rot}, Pose: &Pose{Segmentation: seg}}
			m, err := p.Mask(100, 90, 0.5)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, v := range m.Pix {
				n += int(v)
			}
			if n < 31*63 || n > 33*65 { // 32×64 pixels, give or take the edges
				t.Errorf("%d mask pixels, want about %d", n, 32*64)
			}
			for _, q := range c.set {
				if m.Pix[q[1]*100+q[0]] == 0 {
					t.Errorf("pixel %v not in the mask", q)
				}
			}
			for _, q := range c.not {
				if m.Pix[q[1]*100+q[0]] != 0 {
					t.Errorf("pixel %v in the mask", q)
				}
			}
		})
	}
	bad := Person{ROI: Rect{CX: 1, CY: 1, W: 2, H: 2}, Pose: &Pose{Segmentation: seg}}
	for _, c := range []struct {
		w, h int
		th   float64
		p    Person
	}{{0, 5, 0.5, bad}, {5, 5, 1, bad}, {5, 5, 0, bad}, {5, 5, 0.5, Person{}}} {
		if _, err := c.p.Mask(c.w, c.h, c.th); err == nil {
			t.Errorf("Mask(%d, %d, %v): want error", c.w, c.h, c.th)
		}
	}
}
