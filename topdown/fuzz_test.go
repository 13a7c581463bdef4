package topdown

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/posedistill/posedistill/codec"
)

// FuzzBuild builds samples from arbitrary boxes and keypoints: Build must return a sample or an
// error, never panic, and a sample's values must be finite.
func FuzzBuild(f *testing.F) {
	f.Add(10.0, 20.0, 30.0, 60.0, 15.0, 25.0, 2.0, uint64(1))
	f.Add(-1e308, 0.0, 1e-300, 1e300, math.Inf(1), math.NaN(), 1.0, uint64(2))
	f.Add(0.0, 0.0, 1.0, 1.0, 0.5, 0.5, 2.0, uint64(3))
	img := noiseImage(48, 32, 1)
	f.Fuzz(func(t *testing.T, x, y, w, h, kx, ky, v float64, seed uint64) {
		c, err := codec.New(codec.Kind(seed%3), 24, 32, 6, 8, 1)
		if err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(t, codec.UDP)
		cfg.Codec = c
		aug := DefaultAugment()
		aug.Color = &ColorJitter{Brightness: 0.5, Contrast: 0.5, Saturation: 0.5}
		cfg.Augment = &aug
		inst := cocoInstance(1, 0, 0)
		inst.Annotation.BBox = [4]float64{x, y, w, h}
		for j := 0; j < 17; j++ {
			inst.Annotation.Keypoints[3*j] = kx + float64(j)
			inst.Annotation.Keypoints[3*j+1] = ky - float64(j)
			inst.Annotation.Keypoints[3*j+2] = v
		}
		s, err := cfg.Build(inst, img, nil, rand.New(rand.NewPCG(seed, 0)))
		if err != nil {
			return
		}
		for _, buf := range [][]float32{s.Image, s.Heatmaps, s.Weights} {
			for _, val := range buf {
				if math.IsNaN(float64(val)) || math.IsInf(float64(val), 0) {
					t.Fatalf("non-finite value in sample of box %v", inst.Annotation.BBox)
				}
			}
		}
	})
}
