package topdown

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/skeleton"
)

func TestHalfBody(t *testing.T) {
	inst := cocoInstance(1, 200, 100)
	kps := inst.Annotation.Keypoints
	lower := LowerBody(skeleton.COCO17())
	for j, want := range []bool{false, false, false, false, false, false, false, false, false, false, false, true, true, true, true, true, true} {
		if lower[j] != want {
			t.Fatalf("LowerBody = %v", lower)
		}
	}
	sawUpper, sawLower := false, false
	for seed := uint64(0); seed < 40; seed++ {
		b, ok := halfBody(rand.New(rand.NewPCG(seed, 0)), kps, lower, 9, 0.75, 1.5)
		if !ok {
			t.Fatal("half body refused for a 16-joint instance")
		}
		if math.Abs(b.W/b.H-0.75) > 1e-9 {
			t.Errorf("aspect %v", b.W/b.H)
		}
		// Labelled upper-body joints span y 105–215, lower-body ones 220–320.
		switch {
		case b.CY < 200:
			sawUpper = true
			if math.Abs(b.H-(215-105)*1.5) > 1e-9 {
				t.Errorf("upper box height %v, want %v", b.H, (215-105)*1.5)
			}
		default:
			sawLower = true
			if math.Abs(b.CY-(220+221+270+271+320+318)/6.0) > 1e-9 {
				t.Errorf("lower box centre %v", b.CY)
			}
		}
	}
	if !sawUpper || !sawLower {
		t.Errorf("upper %v lower %v: both halves should be drawn", sawUpper, sawLower)
	}
	// Too few labelled joints: refused.
	few := append([]float64(nil), kps...)
	for j := 4; j < 17; j++ {
		few[3*j+2] = 0
	}
	if _, ok := halfBody(rand.New(rand.NewPCG(1, 1)), few, lower, 9, 0.75, 1.5); ok {
		t.Error("half body accepted 4 joints")
	}
}

func TestAugmentDraws(t *testing.T) {
	a := DefaultAugment()
	a.Color = &ColorJitter{Brightness: 0.3, Contrast: 0.3, Saturation: 0.3}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	b := Box{CX: 100, CY: 100, W: 75, H: 100}
	kps := cocoInstance(1, 50, 0).Annotation.Keypoints
	lower := LowerBody(skeleton.COCO17())
	flips, rots := 0, 0
	const n = 2000
	for seed := uint64(0); seed < n; seed++ {
		d := a.sample(rand.New(rand.NewPCG(seed, 7)), b, kps, lower, 0.75)
		again := a.sample(rand.New(rand.NewPCG(seed, 7)), b, kps, lower, 0.75)
		if d != again {
			t.Fatalf("seed %d: %+v then %+v", seed, d, again)
		}
		if d.flip {
			flips++
		}
		if d.rot != 0 {
			rots++
		}
		if math.Abs(d.rot) > 80 || d.brightness < 0.7 || d.brightness > 1.3 {
			t.Fatalf("draw out of range: %+v", d)
		}
	}
	if math.Abs(float64(flips)/n-0.5) > 0.05 || math.Abs(float64(rots)/n-0.6) > 0.05 {
		t.Errorf("flip rate %v, rotation rate %v; want 0.5, 0.6", float64(flips)/n, float64(rots)/n)
	}
	for _, bad := range []Augment{{FlipProb: 2}, {ScaleProb: 1, ScaleMin: 0}, {HalfBodyProb: 0.5}, {Color: &ColorJitter{Brightness: 3}}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestColorJitterKeepsRange(t *testing.T) {
	pix := make([]float32, 3*64)
	for i := range pix {
		pix[i] = float32(i * 4 % 256)
	}
	orig := append([]float32(nil), pix...)
	jitterColor(pix, draw{brightness: 1, contrast: 1, saturation: 1})
	for i := range pix {
		if pix[i] != orig[i] {
			t.Fatal("identity jitter changed pixels")
		}
	}
	jitterColor(pix, draw{brightness: 1.3, contrast: 0.7, saturation: 0})
	for i := 0; i < len(pix); i += 3 {
		if pix[i] < 0 || pix[i] > 255 {
			t.Fatalf("value %v", pix[i])
		}
		if math.Abs(float64(pix[i]-pix[i+1])) > 1e-3 || math.Abs(float64(pix[i]-pix[i+2])) > 1e-3 {
			t.Fatalf("saturation 0 left colour: %v", pix[i:i+3])
		}
	}
}

func TestDecodeBatchToImage(t *testing.T) {
	cfg := testConfig(t, codec.UDP)
	img := noiseImage(640, 480, 2)
	var samples []*Sample
	insts := []Instance{cocoInstance(1, 100, 50), cocoInstance(2, 400, 200)}
	for _, inst := range insts {
		s, err := cfg.Build(inst, img, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, s)
	}
	b, err := cfg.Collate(samples)
	if err != nil {
		t.Fatal(err)
	}
	// The targets stand in for a perfect network's output.
	res, err := cfg.DecodeBatch(b.Heatmaps.Data, b)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.ImageID != insts[i].Annotation.ImageID || r.CategoryID != 1 || len(r.Keypoints) != 51 {
			t.Fatalf("result %d: %+v", i, r)
		}
		if math.Abs(r.Score-1) > 0.05 { // sub-pixel peaks fall between pixels
			t.Errorf("result %d score %v, want ≈ 1", i, r.Score)
		}
		for j := 0; j < 17; j++ {
			kp := insts[i].Annotation.Keypoints[3*j : 3*j+3]
			if kp[2] == 0 {
				continue
			}
			if e := math.Hypot(r.Keypoints[3*j]-kp[0], r.Keypoints[3*j+1]-kp[1]); e > 0.1 {
				t.Errorf("result %d joint %d off by %v px", i, j, e)
			}
		}
	}
	if _, err := cfg.DecodeBatch(b.Heatmaps.Data[:10], b); err == nil {
		t.Error("short heatmaps accepted")
	}
}
