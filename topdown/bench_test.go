package topdown

import (
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/dataset"
)

// benchPhoto is a real photograph shipped by Debian's opencv-doc; without it the benchmarks use a
// synthetic image.
const benchPhoto = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg"

// writeBenchJPEGs writes n 640×480 JPEGs (quality 90): the photograph resized and shifted
// differently for each file.
func writeBenchJPEGs(b *testing.B, dir string, n int) []string {
	b.Helper()
	var src *RGB
	if img, err := dataset.LoadImage(benchPhoto); err == nil {
		if src, err = ToRGB(img); err != nil {
			b.Fatal(err)
		}
	} else {
		src = gradientImage(256, 256)
	}
	var paths []string
	for i := range n {
		box := Box{CX: float64(src.W)/2 + float64(i), CY: float64(src.H) / 2, W: float64(src.W) * 0.9, H: float64(src.W) * 0.9 * 0.75}
		raw := make([]float32, 640*480*3)
		if err := WarpImage(src, WarpMatrix(box, 0, 640, 480, false), 640, 480, raw); err != nil {
			b.Fatal(err)
		}
		img := image.NewRGBA(image.Rect(0, 0, 640, 480))
		for p := 0; p < 640*480; p++ {
			for c := range 3 {
				img.Pix[4*p+c] = uint8(math.Round(float64(raw[3*p+c])))
			}
			img.Pix[4*p+3] = 255
		}
		path := filepath.Join(dir, fmt.Sprintf("frame%d.jpg", i))
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// benchInstances returns n COCO-17 instances over the files, boxes of 100×225 in 640×480.
func benchInstances(paths []string, n int) []Instance {
	out := make([]Instance, n)
	for i := range out {
		out[i] = cocoInstance(int64(i+1), float64(100+(i*37)%400), float64(50+(i*13)%200))
		out[i].ImagePath = paths[i%len(paths)]
	}
	return out
}

func benchConfig(b *testing.B) Config {
	cfg := testConfig(b, codec.UDP)
	aug := DefaultAugment()
	cfg.Augment = &aug
	return cfg
}

// BenchmarkLoader measures samples/s of 256×192 training crops (default augmentation, UDP
// targets) from 640×480 JPEGs through the loader: decoding every image (1 and 2 workers) against
// an image cache that holds all of them.
func BenchmarkLoader(b *testing.B) {
	paths := writeBenchJPEGs(b, b.TempDir(), 8)
	insts := benchInstances(paths, 64)
	for _, tc := range []struct {
		name    string
		workers int
		cache   int64
	}{
		{"decode/workers=1", 1, 0},
		{"decode/workers=2", 2, 0},
		{"cached/workers=1", 1, 64 << 20},
		{"cached/workers=2", 2, 64 << 20},
	} {
		b.Run(tc.name, func(b *testing.B) {
			l, err := NewLoader(LoaderConfig{
				Sample: benchConfig(b), BatchSize: 16, Workers: tc.workers, Seed: 1, Shuffle: true, CacheBytes: tc.cache,
			}, insts)
			if err != nil {
				b.Fatal(err)
			}
			it, err := l.Start(context.Background(), 0, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer it.Close()
			if _, err := it.Next(); err != nil { // warm up (and fill the cache)
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0 := cpuTime()
			samples := 0
			for range b.N {
				batch, err := it.Next()
				if err != nil {
					b.Fatal(err)
				}
				samples += batch.Len()
			}
			b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
			// CPU time is what the pipeline costs whatever else runs on the machine.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(samples), "cpu-µs/sample")
		})
	}
}

// BenchmarkWarp compares the crop warp on packed RGB pixels with a bilinear warp written with
// image.Image's At(), for a 256×192 crop of a 640×480 image.
func BenchmarkWarp(b *testing.B) {
	src := noiseImage(640, 480, 1)
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for p := 0; p < 640*480; p++ {
		copy(img.Pix[4*p:4*p+3], src.Pix[3*p:3*p+3])
		img.Pix[4*p+3] = 255
	}
	m := WarpMatrix(Box{CX: 320, CY: 240, W: 200, H: 266}, 20, 192, 256, true)
	dst := make([]float32, 192*256*3)
	b.Run("packed", func(b *testing.B) {
		for range b.N {
			if err := WarpImage(src, m, 192, 256, dst); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("image.At", func(b *testing.B) {
		inv, _ := m.Inverse()
		for range b.N {
			warpAt(img, inv, 192, 256, dst)
		}
	})
}

// warpAt is the straightforward bilinear warp through image.Image's At(): the peer of WarpImage.
func warpAt(img image.Image, inv Affine, w, h int, dst []float32) {
	bd := img.Bounds()
	px := func(x, y int) [3]float32 {
		if x < 0 || y < 0 || x >= bd.Dx() || y >= bd.Dy() {
			return [3]float32{}
		}
		r, g, b, _ := img.At(x, y).RGBA()
		return [3]float32{float32(r >> 8), float32(g >> 8), float32(b >> 8)}
	}
	for v := 0; v < h; v++ {
		for u := 0; u < w; u++ {
			x, y := inv.Apply(float64(u), float64(v))
			x0, y0 := int(math.Floor(x)), int(math.Floor(y))
			ax, ay := float32(x-math.Floor(x)), float32(y-math.Floor(y))
			p00, p10, p01, p11 := px(x0, y0), px(x0+1, y0), px(x0, y0+1), px(x0+1, y0+1)
			for c := range 3 {
				dst[3*(v*w+u)+c] = (1-ax)*(1-ay)*p00[c] + ax*(1-ay)*p10[c] + (1-ax)*ay*p01[c] + ax*ay*p11[c]
			}
		}
	}
}

// TestWarpAtAgreesWithWarpImage keeps the benchmark's peer honest: both warps give the same crop.
func TestWarpAtAgreesWithWarpImage(t *testing.T) {
	src := noiseImage(64, 48, 2)
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for p := 0; p < 64*48; p++ {
		copy(img.Pix[4*p:4*p+3], src.Pix[3*p:3*p+3])
		img.Pix[4*p+3] = 255
	}
	m := WarpMatrix(Box{CX: 30, CY: 20, W: 50, H: 66}, 33, 24, 32, true)
	inv, _ := m.Inverse()
	a := make([]float32, 24*32*3)
	b := make([]float32, 24*32*3)
	if err := WarpImage(src, m, 24, 32, a); err != nil {
		t.Fatal(err)
	}
	warpAt(img, inv, 24, 32, b)
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-3 {
			t.Fatalf("value %d: %v vs %v", i, a[i], b[i])
		}
	}
}
