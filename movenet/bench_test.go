package movenet

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/internal/peers"
	"github.com/posedistill/posedistill/internal/testkit"
)

// BenchmarkSingleRatio times one Lightning and one Thunder inference on a crop of a real photo
// through the estimator (the imported nets.Net and the codec's MoveNet decoding in Go) and through
// MoveNet's whole TF.js graph (the path the estimator took before), alternating in 5 rounds of 5
// runs each; it reports the medians of the wall-clock and CPU times of each and of the per-round
// ratios (estimator / graph). Run with -benchtime=1x.
func BenchmarkSingleRatio(b *testing.B) {
	img := loadPhoto(b)
	for _, m := range []Model{Lightning, Thunder} {
		b.Run(string(m), func(b *testing.B) {
			e := open(b, m)
			r, _ := graphRunner(b, m)
			size := m.InputSize()
			bd := img.Bounds()
			in := CropAndResize(img, InitCropRegion(bd.Dy(), bd.Dx()), size, size)
			ctx := context.Background()
			est := func() error { _, err := e.Infer(ctx, in, size, size); return err }
			graph := func() error {
				_, err := r.Run(ctx, tensors.FromFlatDataAndDimensions(in, 1, size, size, 3))
				return err
			}
			ratioRounds(b, est, graph)
		})
	}
}

// BenchmarkMultiPoseRatio is BenchmarkSingleRatio for MultiPose: one inference on a real photo
// resized and padded as Estimate does (messi5 at the default side 256, basketball1 at 512)
// through the estimator (the imported nets.Net and DecodeMultiPose) and through MultiPose's
// whole TF.js graph (the path the estimator took before). Run with -benchtime=1x.
func BenchmarkMultiPoseRatio(b *testing.B) {
	e := open(b, MultiPose)
	r, _ := graphRunner(b, MultiPose)
	for _, tc := range []struct {
		photo string
		side  int
	}{{photo, 256}, {basketball1, 512}} {
		e.MultiPoseMaxDimension = tc.side
		f, err := e.multiPoseFrame(testkit.Photo(b, tc.photo))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s/%dx%d", filepath.Base(tc.photo), f.ph, f.pw), func(b *testing.B) {
			ctx := context.Background()
			est := func() error { _, err := e.Infer(ctx, f.in, f.ph, f.pw); return err }
			graph := func() error {
				_, err := r.Run(ctx, tensors.FromFlatDataAndDimensions(f.in, 1, f.ph, f.pw, 3))
				return err
			}
			ratioRounds(b, est, graph)
		})
	}
}

// ratioRounds runs est and graph once each (compiling them), then in each benchmark iteration
// alternates them in 5 rounds of 5 runs and reports the medians of their wall-clock and CPU
// times and of the per-round ratios est/graph.
func ratioRounds(b *testing.B, est, graph func() error) {
	for _, f := range []func() error{est, graph} { // compile
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		var ew, gw, ec, gc, rw, rc []float64
		for range 5 {
			w1, c1 := peers.Timed(b, 5, est)
			w2, c2 := peers.Timed(b, 5, graph)
			ew, ec, gw, gc = append(ew, w1), append(ec, c1), append(gw, w2), append(gc, c2)
			rw, rc = append(rw, w1/w2), append(rc, c1/c2)
		}
		b.ReportMetric(peers.Median(ew), "net-ms")
		b.ReportMetric(peers.Median(gw), "graph-ms")
		b.ReportMetric(peers.Median(ec), "net-cpu-ms")
		b.ReportMetric(peers.Median(gc), "graph-cpu-ms")
		b.ReportMetric(peers.Median(rw), "net/graph")
		b.ReportMetric(peers.Median(rc), "net/graph-cpu")
	}
}

// BenchmarkDecodeMultiPose times DecodeMultiPose alone on random heads of the maps of
// BenchmarkMultiPoseRatio's two inputs (boxes up to the whole map, so that every person's
// arg-max scans most of it).
func BenchmarkDecodeMultiPose(b *testing.B) {
	for _, hw := range [][2]int{{40, 64}, {96, 128}} {
		h, w := hw[0], hw[1]
		b.Run(fmt.Sprintf("%dx%d", h, w), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			n := h * w
			fill := func(m int, lo, hi float32) []float32 {
				v := make([]float32, m)
				for i := range v {
					v[i] = lo + (hi-lo)*r.Float32()
				}
				return v
			}
			o := MultiPoseHeads{Heatmaps: fill(n*NumKeypoints, 0, 1), Centre: fill(n, -6, 2),
				Regression: fill(n*2*NumKeypoints, -8, 8), Offsets: fill(n*2*NumKeypoints, -1, 1),
				BoxScale: fill(2*n, float32(h)/2, float32(2*h)), BoxOffset: fill(2*n, -2, 2)}
			for b.Loop() {
				if _, err := DecodeMultiPose(o, h, w); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
