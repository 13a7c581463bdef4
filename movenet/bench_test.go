package movenet

import (
	"context"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/internal/peers"
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
		})
	}
}
