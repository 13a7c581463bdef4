package synth

import (
	"bytes"
	"math"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
)

func mustRenderer(t testing.TB, opt Options) *Renderer {
	t.Helper()
	r, err := NewRenderer(opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDeterministicBySeed(t *testing.T) {
	r := mustRenderer(t, Options{Width: 96, Height: 80, MinPeople: 1, MaxPeople: 3})
	a, err := r.Still(7, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Render other images in between: the result must depend only on (seed, index).
	if _, err := r.Still(7, 4); err != nil {
		t.Fatal(err)
	}
	b, _ := r.Still(7, 3)
	if !bytes.Equal(a.Image.Pix, b.Image.Pix) {
		t.Error("same seed and index gave different pixels")
	}
	if len(a.People) != len(b.People) {
		t.Fatalf("same seed gave %d and %d people", len(a.People), len(b.People))
	}
	for i := range a.People {
		for j, v := range a.People[i].Keypoints {
			if b.People[i].Keypoints[j] != v {
				t.Fatalf("person %d keypoint value %d differs", i, j)
			}
		}
	}
	for _, other := range []struct {
		seed  uint64
		index int
	}{{8, 3}, {7, 2}} {
		c, _ := r.Still(other.seed, other.index)
		if bytes.Equal(a.Image.Pix, c.Image.Pix) {
			t.Errorf("seed %d index %d gave the same pixels as seed 7 index 3", other.seed, other.index)
		}
	}
}

// checkLabels verifies one frame's labels against its masks and 3D joints.
func checkLabels(t *testing.T, name string, f *Frame, w, h int) (visible, hidden, outside int) {
	t.Helper()
	m, err := skeleton.NewMapping(skeleton.H36MFace(), skeleton.COCO17())
	if err != nil {
		t.Fatal(err)
	}
	cam := f.Camera
	for pi, p := range f.People {
		// Area and box from the mask.
		area, x0, y0, x1, y1 := 0, w, h, -1, -1
		for i, v := range p.Mask.Pix {
			if v == 0 {
				continue
			}
			area++
			x, y := i%w, i/w
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
		}
		if float64(area) != p.Area || area == 0 {
			t.Errorf("%s person %d: area %g, mask has %d pixels", name, pi, p.Area, area)
		}
		want := [4]float64{float64(x0), float64(y0), float64(x1 - x0 + 1), float64(y1 - y0 + 1)}
		if p.BBox != want {
			t.Errorf("%s person %d: bbox %v, mask bounds %v", name, pi, p.BBox, want)
		}
		num := 0
		for j, src := range m.Source {
			x, y, v := p.Keypoints[3*j], p.Keypoints[3*j+1], p.Keypoints[3*j+2]
			X, Y, Z := p.Joints3D[3*src], p.Joints3D[3*src+1], p.Joints3D[3*src+2]
			px, py := cam.Fx*X/Z+cam.Cx, cam.Fy*Y/Z+cam.Cy
			inside := Z > 0 && px >= 0 && py >= 0 && px < float64(w) && py < float64(h)
			switch {
			case v == 0:
				outside++
				if inside || x != 0 || y != 0 {
					t.Errorf("%s person %d joint %d: v=0 at (%g,%g) but projects to (%g,%g) inside=%v", name, pi, j, x, y, px, py, inside)
				}
				continue
			case !inside:
				t.Errorf("%s person %d joint %d: v=%g but projects outside to (%g,%g)", name, pi, j, v, px, py)
				continue
			}
			num++
			if math.Abs(px-x) > 1e-6 || math.Abs(py-y) > 1e-6 {
				t.Errorf("%s person %d joint %d: keypoint (%g,%g), 3D projects to (%g,%g)", name, pi, j, x, y, px, py)
			}
			pix := int(y)*w + int(x)
			if v == 2 {
				visible++
				if p.Mask.Pix[pix] == 0 {
					t.Errorf("%s person %d joint %d: visible at (%g,%g) off its mask", name, pi, j, x, y)
				}
				for qi, q := range f.People {
					if qi != pi && q.Mask.Pix[pix] != 0 {
						t.Errorf("%s person %d joint %d: visible on person %d's mask", name, pi, j, qi)
					}
				}
			} else {
				hidden++
			}
		}
		if num != p.NumKeypoints {
			t.Errorf("%s person %d: num_keypoints %d, counted %d", name, pi, p.NumKeypoints, num)
		}
	}
	return visible, hidden, outside
}

func TestLabelsAgreeWithMasksAndCamera(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
	}{
		{"normal", Options{Width: 128, Height: 112, MinPeople: 1, MaxPeople: 4}},
		{"heavy", Options{Width: 128, Height: 128, MinPeople: 3, MaxPeople: 5, HeavyOcclusion: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRenderer(t, tc.opt)
			var vis, hid, out int
			var small, medium, large int
			for i := range 40 {
				f, err := r.Still(11, i)
				if err != nil {
					t.Fatal(err)
				}
				a, b, c := checkLabels(t, tc.name, f, tc.opt.Width, tc.opt.Height)
				vis, hid, out = vis+a, hid+b, out+c
				for _, p := range f.People {
					switch {
					case p.Area < 32*32:
						small++
					case p.Area < 96*96:
						medium++
					default:
						large++
					}
				}
			}
			t.Logf("keypoints: %d visible, %d occluded, %d outside; areas: %d small, %d medium, %d large", vis, hid, out, small, medium, large)
			// Visibility must be informative: neither almost all visible nor almost all hidden.
			if frac := float64(vis) / float64(vis+hid); frac < 0.3 || frac > 0.95 {
				t.Errorf("visible fraction %.2f of in-image keypoints", frac)
			}
			if out == 0 {
				t.Error("no keypoint outside the image: people are never cut by the border")
			}
			if small == 0 || medium == 0 {
				t.Errorf("areas do not span COCO's ranges: %d small, %d medium, %d large", small, medium, large)
			}
		})
	}
}

func TestAnnotationRoundTrip(t *testing.T) {
	r := mustRenderer(t, Options{Width: 64, Height: 64, MinPeople: 2, MaxPeople: 2})
	f, err := r.Still(4, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.People) == 0 {
		t.Fatal("no people")
	}
	for i, p := range f.People {
		a, err := p.Annotation(int64(i+1), 9)
		if err != nil {
			t.Fatal(err)
		}
		if a.ImageID != 9 || a.CategoryID != 1 || len(a.Keypoints) != 51 || len(a.Joints3D) != 66 {
			t.Fatalf("annotation fields: %+v", a)
		}
		m, err := a.Segmentation.RLE.Decode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m.Pix, p.Mask.Pix) {
			t.Error("RLE does not decode to the mask")
		}
		if float64(a.Segmentation.RLE.Area()) != a.Area {
			t.Errorf("RLE area %d, annotation area %g", a.Segmentation.RLE.Area(), a.Area)
		}
	}
	d := dataset.Dataset{Images: []dataset.Image{{ID: 9, Width: 64, Height: 64}}, Categories: []dataset.Category{Category()}}
	for i, p := range f.People {
		a, _ := p.Annotation(int64(i+1), 9)
		d.Annotations = append(d.Annotations, a)
	}
	if err := d.Validate(); err != nil {
		t.Error(err)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		opt Options
		ok  bool
	}{
		{Options{Width: 256, Height: 256, MinPeople: 1, MaxPeople: 3}, true},
		{Options{Width: 256, Height: 256, MinPeople: 0, MaxPeople: 0}, true},
		{Options{Width: 4, Height: 256, MinPeople: 1, MaxPeople: 3}, false},
		{Options{Width: 256, Height: 256, MinPeople: 3, MaxPeople: 1}, false},
		{Options{Width: 256, Height: 256, MinPeople: -1, MaxPeople: 1}, false},
		{Options{Width: 256, Height: 256, MinPeople: 1, MaxPeople: 500}, false},
		{Options{Width: 256, Height: 256, MinPeople: 1, MaxPeople: 1, MinHeight: 0.4, MaxHeight: 0.9}, true},
		{Options{Width: 256, Height: 256, MinPeople: 1, MaxPeople: 1, MinHeight: 0.9, MaxHeight: 0.4}, false},
		{Options{Width: 256, Height: 256, MinPeople: 1, MaxPeople: 1, MinHeight: 0, MaxHeight: 0.4}, false},
	}
	for _, tc := range tests {
		if err := tc.opt.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: err %v, want ok=%v", tc.opt, err, tc.ok)
		}
	}
}

func TestPoseFamiliesWithinLimits(t *testing.T) {
	rng := newRand(1, 9, 0)
	for f := range numFamilies {
		for range 50 {
			p := samplePose(rng, f)
			q := p
			q.clampToLimits()
			if p != q {
				t.Errorf("%s: pose outside limits", familyNames[f])
			}
		}
	}
}

func TestBodyProportions(t *testing.T) {
	// A neutral standing body: head top near its height, feet on the ground, arms and legs
	// the lengths of its shape, left joints on +X.
	rng := newRand(2, 9, 0)
	s := sampleShape(rng)
	var p pose
	a := sampleAppearance(rng)
	b := buildBody(&s, &p, &a)
	J := b.Joints
	if top := J[jHeadTop].Y; math.Abs(top-s.Height)/s.Height > 0.08 {
		t.Errorf("head top at %.0f mm for a %.0f mm person", top, s.Height)
	}
	if J[jLAnkle].Y < 0 || J[jLAnkle].Y > 0.1*s.Height {
		t.Errorf("left ankle at height %.0f", J[jLAnkle].Y)
	}
	if J[jLShoulder].X <= 0 || J[jRShoulder].X >= 0 || J[jLHip].X <= 0 {
		t.Error("left joints are not on +X")
	}
	if d := J[jLElbow].sub(J[jLShoulder]).norm(); math.Abs(d-s.UpperArm) > 1e-6 {
		t.Errorf("upper arm %.1f, want %.1f", d, s.UpperArm)
	}
	if d := J[jRAnkle].sub(J[jRKnee]).norm(); math.Abs(d-s.Shin) > 1e-6 {
		t.Errorf("shin %.1f, want %.1f", d, s.Shin)
	}
	if J[jNose].Z <= J[jHeadTop].Z {
		t.Error("nose does not point forward (+Z)")
	}
}

// TestPersonHeightOption checks that MinHeight/MaxHeight set the people's size: the keypoints of
// people drawn at 0.75 image heights span about three times those drawn at 0.25.
func TestPersonHeightOption(t *testing.T) {
	span := func(h float64) float64 {
		r, err := NewRenderer(Options{Width: 128, Height: 128, MinPeople: 1, MaxPeople: 1, MinHeight: h, MaxHeight: h})
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		var n int
		for i := range 16 {
			f, err := r.Still(3, i)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range f.People {
				lo, hi := math.Inf(1), math.Inf(-1)
				for k := 0; k < len(p.Keypoints); k += 3 {
					if p.Keypoints[k+2] > 0 {
						lo, hi = math.Min(lo, p.Keypoints[k+1]), math.Max(hi, p.Keypoints[k+1])
					}
				}
				if hi > lo {
					sum += hi - lo
					n++
				}
			}
		}
		if n == 0 {
			t.Fatalf("height %g: no person drawn", h)
		}
		return sum / float64(n)
	}
	small, large := span(0.25), span(0.75)
	if ratio := large / small; ratio < 2 || ratio > 4 {
		t.Errorf("keypoint span at 0.75 image heights / at 0.25 = %.2f (%.1f/%.1f px), want about 3", ratio, large, small)
	}
	if large > 0.8*128 {
		t.Errorf("people drawn at 0.75 image heights span %.1f px of 128", large)
	}
}
