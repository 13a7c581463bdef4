package topdown

import (
	"math/rand/v2"
	"testing"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
)

// gradientImage returns a w×h image whose red channel is x, green y and blue (x+y)/2 (w, h ≤ 256):
// bilinear sampling of it at (x, y) gives back exactly (x, y).
func gradientImage(w, h int) *RGB {
	m := NewRGB(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := 3 * (y*w + x)
			m.Pix[i], m.Pix[i+1], m.Pix[i+2] = uint8(x), uint8(y), uint8((x+y)/2)
		}
	}
	return m
}

// noiseImage returns a w×h image of seeded random pixels.
func noiseImage(w, h int, seed uint64) *RGB {
	m := NewRGB(w, h)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range m.Pix {
		m.Pix[i] = uint8(r.IntN(256))
	}
	return m
}

// cocoInstance returns a COCO-17 person standing in a 640×480 image, box at (x0, y0).
func cocoInstance(id int64, x0, y0 float64) Instance {
	rel := [][3]float64{
		{50, 10, 2}, {55, 5, 2}, {45, 5, 2}, {62, 8, 1}, {38, 8, 2},
		{75, 40, 2}, {25, 41, 2}, {88, 80, 2}, {12, 79, 2}, {92, 115, 2}, {8, 117, 0},
		{65, 120, 2}, {35, 121, 2}, {67, 170, 2}, {33, 171, 1}, {68, 220, 2}, {31, 218, 2},
	}
	kps := make([]float64, 0, 51)
	for _, p := range rel {
		kps = append(kps, x0+p[0], y0+p[1], p[2])
	}
	return Instance{
		ImagePath: "synthetic.png",
		Image:     dataset.Image{ID: id * 10, Width: 640, Height: 480},
		Annotation: dataset.Annotation{
			ID: id, ImageID: id * 10, CategoryID: 1, NumKeypoints: 16,
			BBox: [4]float64{x0, y0, 100, 225}, Keypoints: kps,
		},
	}
}

func testConfig(t testing.TB, kind codec.Kind) Config {
	t.Helper()
	c, err := codec.New(kind, 192, 256, 48, 64, 2)
	if err != nil {
		t.Fatal(err)
	}
	return NewConfig(c, skeleton.COCO17())
}

// flat returns keypoints as COCO (x, y, v) triplets.
func flat(kps []codec.Keypoint) []float64 {
	out := make([]float64, 0, 3*len(kps))
	for _, k := range kps {
		out = append(out, k.X, k.Y, k.V)
	}
	return out
}
