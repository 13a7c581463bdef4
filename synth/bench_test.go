package synth

import (
	"context"
	"runtime"
	"testing"
)

// BenchmarkStill256 renders 256×256 images with 1–3 people, serially and on all cores; it
// reports images per second.
func BenchmarkStill256(b *testing.B) {
	r := mustRenderer(b, Options{Width: 256, Height: 256, MinPeople: 1, MaxPeople: 3})
	for _, bc := range []struct {
		name    string
		workers int
	}{{"serial", 1}, {"parallel", runtime.GOMAXPROCS(0)}} {
		b.Run(bc.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				err := Parallel(context.Background(), 16, bc.workers, func(i int) (*Frame, error) {
					return r.Still(1, n*16+i)
				}, func(int, *Frame) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(16*n)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
