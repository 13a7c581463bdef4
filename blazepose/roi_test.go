package blazepose

import (
	"image"
	"math"
	"testing"
)

func TestFromImageInvertsToImage(t *testing.T) {
	for _, r := range []Rect{
		{CX: 100, CY: 50, W: 80, H: 80},
		{CX: -3, CY: 7, W: 30, H: 60, Rotation: 0.7},
		{CX: 320, CY: 240, W: 200, H: 200, Rotation: -math.Pi / 2},
		{CX: 0, CY: 0, W: 1, H: 2, Rotation: math.Pi},
	} {
		for _, p := range [][2]float64{{0, 0}, {128, 128}, {256, 10}, {-40, 300}} {
			x, y := r.ToImage(p[0], p[1], InputSize)
			u, v := r.FromImage(x, y, InputSize)
			if math.Abs(u-p[0]) > 1e-9 || math.Abs(v-p[1]) > 1e-9 {
				t.Errorf("%+v: %v → (%v, %v) → (%v, %v)", r, p, x, y, u, v)
			}
		}
	}
}

func TestIoU(t *testing.T) {
	for _, c := range []struct {
		a, b [4]float64
		want float64
	}{
		{[4]float64{0, 0, 10, 10}, [4]float64{0, 0, 10, 10}, 1},
		{[4]float64{0, 0, 10, 10}, [4]float64{5, 0, 10, 10}, 50.0 / 150},
		{[4]float64{0, 0, 10, 10}, [4]float64{10, 0, 10, 10}, 0},
		{[4]float64{0, 0, 10, 10}, [4]float64{2, 2, 2, 2}, 4.0 / 100},
		{[4]float64{}, [4]float64{}, 0},
	} {
		if got := IoU(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("IoU(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestBBox(t *testing.T) {
	lms := []Landmark{{X: 10, Y: 20, Visibility: 0.9}, {X: 30, Y: 5, Visibility: 0.8}, {X: 100, Y: 100, Visibility: 0.1}, {X: math.NaN(), Y: 1, Visibility: 1}}
	box, ok := BBox(lms, 0.5)
	if !ok || box != [4]float64{10, 5, 20, 15} {
		t.Errorf("BBox = %v, %v; want [10 5 20 15], true", box, ok)
	}
	if _, ok := BBox(lms, 0.95); ok {
		t.Error("BBox with no landmark visible enough: want ok = false")
	}
}

// TestLandmarksROI checks the tracking crop comes from the first two auxiliary points exactly as
// the detection crop comes from the detector's first two key points.
func TestLandmarksROI(t *testing.T) {
	roi := Rect{CX: 200, CY: 150, W: 120, H: 120, Rotation: 0.3}
	p := Person{ROI: roi, Pose: &Pose{Auxiliary: []Landmark{{X: 128, Y: 140}, {X: 130, Y: 60}}}}
	got, ok := p.LandmarksROI()
	if !ok {
		t.Fatal("LandmarksROI: not ok")
	}
	x0, y0 := roi.ToImage(128, 140, InputSize)
	x1, y1 := roi.ToImage(130, 60, InputSize)
	if math.Abs(got.CX-x0) > 1e-9 || math.Abs(got.CY-y0) > 1e-9 {
		t.Errorf("centre (%v, %v), want the hip centre (%v, %v)", got.CX, got.CY, x0, y0)
	}
	if want := 2 * math.Hypot(x1-x0, y1-y0) * ROIScale; math.Abs(got.W-want) > 1e-9 || got.H != got.W {
		t.Errorf("size %v×%v, want %v square", got.W, got.H, want)
	}
	// The body-size point lies straight above the centre in the new crop.
	u, v := got.FromImage(x1, y1, InputSize)
	if math.Abs(u-InputSize/2) > 1e-6 || v >= InputSize/2 {
		t.Errorf("size point at crop (%v, %v), want straight above the centre", u, v)
	}
	for _, bad := range []Person{{}, {ROI: roi, Pose: &Pose{Auxiliary: []Landmark{{X: 5, Y: 5}, {X: 5, Y: 5}}}}} {
		if _, ok := bad.LandmarksROI(); ok {
			t.Errorf("LandmarksROI(%+v): want not ok", bad.Pose)
		}
	}
}

func TestDetectionWindows(t *testing.T) {
	for _, c := range []struct {
		w, h, side, want int
	}{
		{640, 480, 0, 1},
		{640, 480, 640, 1},
		{768, 576, 288, 12}, // 4 × 3
		{300, 100, 100, 4},  // 4 × 1
		{100, 100, 50, 9},
	} {
		b := image.Rect(5, 7, 5+c.w, 7+c.h)
		ws := DetectionWindows(b, c.side)
		if len(ws) != c.want {
			t.Errorf("%dx%d side %d: %d windows, want %d", c.w, c.h, c.side, len(ws), c.want)
		}
		// Every pixel lies in a window, and every window in the image or its letterbox.
		for y := b.Min.Y; y < b.Max.Y; y += 7 {
			for x := b.Min.X; x < b.Max.X; x += 7 {
				in := false
				for _, r := range ws {
					in = in || (math.Abs(float64(x)+0.5-r.CX) <= r.W/2 && math.Abs(float64(y)+0.5-r.CY) <= r.H/2)
				}
				if !in {
					t.Fatalf("%dx%d side %d: pixel (%d, %d) in no window %v", c.w, c.h, c.side, x, y, ws)
				}
			}
		}
		if c.side > 0 && c.side < max(c.w, c.h) {
			for _, r := range ws {
				if r.CX-r.W/2 < float64(b.Min.X)-1e-9 || r.CY+r.H/2 > float64(b.Max.Y)+1e-9+float64(max(0, c.side-c.h))/2 {
					t.Errorf("window %+v leaves the image %v", r, b)
				}
			}
		}
	}
}
