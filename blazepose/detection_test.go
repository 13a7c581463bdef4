package blazepose

import (
	"image"
	"image/color"
	"math"
	"testing"
)

func TestAnchors(t *testing.T) {
	a := DetectorAnchors().Anchors()
	if len(a) != 2254 {
		t.Fatalf("%d anchors, want 2254", len(a))
	}
	tests := []struct {
		i    int
		x, y float64
	}{
		{0, 0.5 / 28, 0.5 / 28}, {1, 0.5 / 28, 0.5 / 28}, {2, 1.5 / 28, 0.5 / 28},
		{1568, 0.5 / 14, 0.5 / 14}, {1568 + 392, 0.5 / 7, 0.5 / 7}, {1568 + 392 + 5, 0.5 / 7, 0.5 / 7},
		{1568 + 392 + 6, 1.5 / 7, 0.5 / 7}, {2253, 6.5 / 7, 6.5 / 7},
	}
	for _, tc := range tests {
		if got := a[tc.i]; math.Abs(got.X-tc.x) > 1e-12 || math.Abs(got.Y-tc.y) > 1e-12 || got.W != 1 || got.H != 1 {
			t.Errorf("anchor %d = %+v, want centre (%v, %v), size 1", tc.i, got, tc.x, tc.y)
		}
	}
	one := AnchorOptions{InputSize: 4, NumLayers: 1, MinScale: 0.2, MaxScale: 0.8, Strides: []int{4},
		AspectRatios: []float64{1, 4}, InterpolatedScaleAspectRatio: 1, OffsetX: 0.5, OffsetY: 0.5}.Anchors()
	want := []Anchor{{0.5, 0.5, 0.5, 0.5}, {0.5, 0.5, 1, 0.25}, {0.5, 0.5, math.Sqrt(0.5), math.Sqrt(0.5)}}
	if len(one) != len(want) {
		t.Fatalf("%d anchors, want %d", len(one), len(want))
	}
	for i := range want {
		if math.Abs(one[i].W-want[i].W) > 1e-12 || math.Abs(one[i].H-want[i].H) > 1e-12 || one[i].X != 0.5 {
			t.Errorf("anchor %d = %+v, want %+v", i, one[i], want[i])
		}
	}
}

func TestDecodeDetections(t *testing.T) {
	anchors := []Anchor{{0.5, 0.5, 1, 1}, {0.25, 0.25, 1, 1}, {0.75, 0.75, 1, 1}}
	boxes := make([]float32, 3*detCoords)
	copy(boxes, []float32{22.4, -22.4, 44.8, 22.4, 0, 0, 22.4, 22.4, 0, 0, 0, 0})
	copy(boxes[2*detCoords:], []float32{0, 0, 22.4, 22.4})
	dets, err := DecodeDetections(boxes, []float32{0, -1, 1000}, anchors, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if len(dets) != 2 {
		t.Fatalf("%d detections, want 2 (the score 0.27 one dropped)", len(dets))
	}
	d := dets[0]
	if math.Abs(d.XMin-0.5) > 1e-6 || math.Abs(d.XMax-0.7) > 1e-6 || math.Abs(d.YMin-0.35) > 1e-6 || math.Abs(d.YMax-0.45) > 1e-6 || d.Score != 0.5 {
		t.Errorf("detection 0 = %+v", d)
	}
	if k := d.Keypoints[1]; math.Abs(k[0]-0.6) > 1e-6 || math.Abs(k[1]-0.6) > 1e-6 {
		t.Errorf("key point 1 = %v, want (0.6, 0.6)", k)
	}
	if s := dets[1].Score; s != 1/(1+math.Exp(-100)) {
		t.Errorf("clipped score = %v", s)
	}
	if _, err := DecodeDetections(boxes[:5], []float32{0, 0, 0}, anchors, 0.5); err == nil {
		t.Error("short boxes: want error")
	}
}

func TestWeightedNMS(t *testing.T) {
	a := Detection{XMin: 0, YMin: 0, XMax: 1, YMax: 1, Score: 0.9}
	b := Detection{XMin: 0.1, YMin: 0, XMax: 1.1, YMax: 1, Score: 0.6}
	c := Detection{XMin: 5, YMin: 5, XMax: 6, YMax: 6, Score: 0.7}
	a.Keypoints[0] = [2]float64{1, 1}
	b.Keypoints[0] = [2]float64{2, 2}
	got := WeightedNMS([]Detection{b, c, a}, 0.3)
	if len(got) != 2 {
		t.Fatalf("%d detections, want 2", len(got))
	}
	m := got[0]
	if m.Score != 0.9 || math.Abs(m.XMin-0.04) > 1e-12 || math.Abs(m.XMax-1.04) > 1e-12 || math.Abs(m.Keypoints[0][0]-1.4) > 1e-12 {
		t.Errorf("merged = %+v, want score 0.9, x 0.04..1.04, key point x 1.4", m)
	}
	if got[1] != c {
		t.Errorf("second = %+v, want %+v", got[1], c)
	}
}

func TestDetectionROI(t *testing.T) {
	box := Rect{CX: 112, CY: 112, W: 224, H: 224}
	tests := []struct {
		name     string
		kp1      [2]float64
		rotation float64
		top      [2]float64 // where the crop's top centre lands in the image
	}{
		{"upright", [2]float64{0.5, 0.25}, 0, [2]float64{112, 42}},
		{"lying, head right", [2]float64{0.75, 0.5}, math.Pi / 2, [2]float64{182, 112}},
		{"upside down", [2]float64{0.5, 0.75}, -math.Pi, [2]float64{112, 182}},
	}
	for _, tc := range tests {
		d := Detection{}
		d.Keypoints[0] = [2]float64{0.5, 0.5}
		d.Keypoints[1] = tc.kp1
		r := DetectionROI(d, box)
		if math.Abs(r.CX-112) > 1e-9 || math.Abs(r.CY-112) > 1e-9 || math.Abs(r.W-140) > 1e-9 || math.Abs(r.Rotation-tc.rotation) > 1e-9 {
			t.Errorf("%s: ROI %+v, want centre (112, 112), side 140, rotation %.3f", tc.name, r, tc.rotation)
		}
		x, y := r.ToImage(InputSize/2, 0, InputSize)
		if math.Abs(x-tc.top[0]) > 1e-9 || math.Abs(y-tc.top[1]) > 1e-9 {
			t.Errorf("%s: crop top at (%.2f, %.2f), want %v", tc.name, x, y, tc.top)
		}
	}
}

func TestCrop(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			img.Set(x, y, color.RGBA{uint8(10 * x), uint8(10 * y), 255, 255})
		}
	}
	same := Crop(img, Rect{CX: 2, CY: 2, W: 4, H: 4}, 4, 0, 255)
	flipped := Crop(img, Rect{CX: 2, CY: 2, W: 4, H: 4, Rotation: math.Pi}, 4, 0, 255)
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			i := (y*4 + x) * 3
			if math.Abs(float64(same[i])-float64(10*x)) > 1e-3 || math.Abs(float64(same[i+1])-float64(10*y)) > 1e-3 {
				t.Fatalf("identity crop (%d, %d) = %v", x, y, same[i:i+3])
			}
			if math.Abs(float64(flipped[i])-float64(10*(3-x))) > 1e-3 || math.Abs(float64(flipped[i+1])-float64(10*(3-y))) > 1e-3 {
				t.Fatalf("rotated crop (%d, %d) = %v", x, y, flipped[i:i+3])
			}
		}
	}
	outside := Crop(img, Rect{CX: 100, CY: 100, W: 4, H: 4}, 2, -1, 1)
	for _, v := range outside {
		if v != -1 {
			t.Fatalf("outside the image = %v, want −1 (black)", v)
		}
	}
	if lb := Letterbox(image.NewGray(image.Rect(0, 0, 640, 480))); lb != (Rect{CX: 320, CY: 240, W: 640, H: 640}) {
		t.Errorf("letterbox = %+v", lb)
	}
}
