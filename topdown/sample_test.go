package topdown

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/posedistill/posedistill/codec"
)

// TestEndToEndKeypoints warps an instance into the crop with random augmentation, encodes its
// heatmaps, decodes them and maps the joints back to the image: every labelled joint inside the
// crop lands within 0.1 px of its annotation.
func TestEndToEndKeypoints(t *testing.T) {
	img := noiseImage(640, 480, 1)
	tests := []struct {
		kind codec.Kind
		tol  float64
	}{
		{codec.UDP, 0.1},
		{codec.Unbiased, 0.1},
		{codec.MSRA, 0.5 * 4 * 1.5 * math.Sqrt2}, // quantised to the heatmap grid (scale up to 1.5)
	}
	for _, tc := range tests {
		cfg := testConfig(t, tc.kind)
		aug := DefaultAugment()
		aug.HalfBodyProb = 0 // keep all joints in the crop
		aug.ScaleMin = 1.1   // zoom out a little so rotated joints stay inside
		aug.ScaleMax = 1.5
		cfg.Augment = &aug
		inst := cocoInstance(7, 250, 120)
		worst, checked := 0.0, 0
		for seed := uint64(0); seed < 40; seed++ {
			s, err := cfg.Build(inst, img, nil, rand.New(rand.NewPCG(seed, 0)))
			if err != nil {
				t.Fatal(err)
			}
			preds, err := cfg.Codec.Decode(s.Heatmaps, 17)
			if err != nil {
				t.Fatal(err)
			}
			got := ToImageKeypoints(preds, s.ToImage)
			fi := cfg.Joints.FlipIndex()
			for j := 0; j < 17; j++ {
				// Joint j of the sample is annotation joint fi[j] when flipped.
				src := j
				if s.Flipped {
					src = fi[j]
				}
				kp := inst.Annotation.Keypoints[3*src : 3*src+3]
				if kp[2] == 0 {
					if s.Weights[j] != 0 {
						t.Errorf("unlabelled joint %d has weight %v", src, s.Weights[j])
					}
					continue
				}
				c := s.Keypoints[j]
				if c.X < 2 || c.Y < 2 || c.X > 189 || c.Y > 253 {
					continue // too close to the crop border to have a full peak
				}
				e := math.Hypot(got[3*j]-kp[0], got[3*j+1]-kp[1])
				worst = math.Max(worst, e)
				checked++
				if e > tc.tol {
					t.Errorf("%v seed %d joint %d: back at (%.3f, %.3f), annotated (%.3f, %.3f)", tc.kind, seed, src, got[3*j], got[3*j+1], kp[0], kp[1])
				}
			}
		}
		t.Logf("%v: %d joints, worst %.4f px", tc.kind, checked, worst)
		if checked < 40*10 {
			t.Errorf("%v: only %d joints checked", tc.kind, checked)
		}
	}
}

// TestWarpSamplesExactPositions checks the warp on an image whose pixels encode their own
// coordinates: each crop pixel holds the image position its inverse transform points at.
func TestWarpSamplesExactPositions(t *testing.T) {
	img := gradientImage(250, 200)
	b := Box{CX: 120, CY: 100, W: 90, H: 120}
	for _, rot := range []float64{0, 17, -45} {
		m := WarpMatrix(b, rot, 48, 64, false)
		inv, _ := m.Inverse()
		dst := make([]float32, 48*64*3)
		if err := WarpImage(img, m, 48, 64, dst); err != nil {
			t.Fatal(err)
		}
		for v := 0; v < 64; v++ {
			for u := 0; u < 48; u++ {
				x, y := inv.Apply(float64(u), float64(v))
				p := dst[3*(v*48+u):]
				if x < 0 || y < 0 || x > 249 || y > 199 {
					continue
				}
				if math.Abs(float64(p[0])-x) > 1e-3 || math.Abs(float64(p[1])-y) > 1e-3 {
					t.Fatalf("rot %v pixel (%d, %d) = (%v, %v), want (%v, %v)", rot, u, v, p[0], p[1], x, y)
				}
			}
		}
	}
	// Entirely outside: black.
	dst := make([]float32, 4*4*3)
	if err := WarpImage(img, WarpMatrix(Box{CX: -1000, CY: -1000, W: 4, H: 4}, 0, 4, 4, false), 4, 4, dst); err != nil {
		t.Fatal(err)
	}
	for _, v := range dst {
		if v != 0 {
			t.Fatalf("outside the image: %v, want 0", v)
		}
	}
}

// TestFlipAugmentation checks that a flipped sample is the mirror image of the unflipped one:
// the crop array mirrored, the heatmaps mirrored with left and right swapped (exact under UDP),
// and that flipping twice is the identity.
func TestFlipAugmentation(t *testing.T) {
	cfg := testConfig(t, codec.UDP)
	img := noiseImage(640, 480, 3)
	inst := cocoInstance(1, 270, 130)
	plain, err := cfg.Build(inst, img, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	aug := Augment{FlipProb: 1}
	cfg.Augment = &aug
	flipped, err := cfg.Build(inst, img, nil, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if !flipped.Flipped {
		t.Fatal("sample not flipped")
	}
	w, h := 192, 256
	for v := 0; v < h; v++ {
		for u := 0; u < w; u++ {
			for ch := 0; ch < 3; ch++ {
				a := plain.Image[3*(v*w+u)+ch]
				b := flipped.Image[3*(v*w+w-1-u)+ch]
				if math.Abs(float64(a-b)) > 1e-4 {
					t.Fatalf("pixel (%d, %d) channel %d: %v vs mirrored %v", u, v, ch, a, b)
				}
			}
		}
	}
	k := 17
	back, err := codec.FlipHeatmaps(flipped.Heatmaps, 1, 64, 48, k, cfg.Joints.FlipIndex(), false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range back {
		if math.Abs(float64(back[i]-plain.Heatmaps[i])) > 1e-5 {
			t.Fatalf("heatmap value %d: flipped back %v, plain %v", i, back[i], plain.Heatmaps[i])
		}
	}
	// Flip twice: the crop transform and the keypoints come back.
	m := WarpMatrix(plain.Box, 0, w, h, true)
	twice := m.Then(FlipX(w)).Then(FlipX(w))
	for i := range m {
		if math.Abs(twice[i]-m[i]) > 1e-12 {
			t.Fatalf("flip twice: %v, want %v", twice, m)
		}
	}
	fi := cfg.Joints.FlipIndex()
	kps := transformKeypoints(flat(transformKeypoints(inst.Annotation.Keypoints, FlipX(640), true, fi)), FlipX(640), true, fi)
	for j := range kps {
		if kps[j].X != inst.Annotation.Keypoints[3*j] || kps[j].Y != inst.Annotation.Keypoints[3*j+1] || kps[j].V != inst.Annotation.Keypoints[3*j+2] {
			t.Fatalf("joint %d after two flips: %+v", j, kps[j])
		}
	}
}

func TestBuildErrors(t *testing.T) {
	cfg := testConfig(t, codec.UDP)
	img := noiseImage(64, 48, 1)
	good := cocoInstance(1, 10, 10)
	tests := []struct {
		name string
		edit func(*Instance)
		aug  bool
	}{
		{"short keypoints", func(i *Instance) { i.Annotation.Keypoints = i.Annotation.Keypoints[:50] }, false},
		{"empty box", func(i *Instance) { i.Annotation.BBox[2] = 0 }, false},
		{"NaN box", func(i *Instance) { i.Annotation.BBox[0] = math.NaN() }, false},
		{"no rng", func(i *Instance) {}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inst := good
			inst.Annotation.Keypoints = append([]float64(nil), good.Annotation.Keypoints...)
			tc.edit(&inst)
			c := cfg
			if tc.aug {
				a := DefaultAugment()
				c.Augment = &a
			}
			if _, err := c.Build(inst, img, nil, nil); err == nil {
				t.Error("Build succeeded")
			}
		})
	}
}
