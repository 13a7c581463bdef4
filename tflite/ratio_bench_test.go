package tflite

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/modelstore"
)

// BenchmarkBlazePoseRatio measures the go backend against TFLite's WebAssembly build on a busy
// machine fairly: rounds alternate between the two (per round, the median of 3 go inferences and
// of 3 WASM inferences after a warm-up), and the reported go/wasm is the median of the per-round
// ratios. Both at batch 1; the go backend uses its worker pool, the WASM build one thread.
// slice-ms is the go backend with the former strided-Slice taps, timed in the same rounds.
// Run with -benchtime=1x.
func BenchmarkBlazePoseRatio(b *testing.B) {
	const rounds, per = 5, 3
	for _, model := range []string{modelstore.PoseLandmarkFull, modelstore.PoseLandmarkHeavy} {
		b.Run(model, func(b *testing.B) {
			path := blazePoseFile(b, model)
			input := personCrop(b, 256)
			dir := wasmDir(b)
			r, slow := goRunner(b, path, tapsByPad), goRunner(b, path, tapsBySlice)
			timed := func(r *Runner) float64 {
				var ms []float64
				for range per {
					start := time.Now()
					if _, err := r.Run(context.Background(), input); err != nil {
						b.Fatal(err)
					}
					ms = append(ms, float64(time.Since(start).Microseconds())/1000)
				}
				return median(ms)
			}
			for b.Loop() {
				var goMs, sliceMs, wasmMs, ratios []float64
				for range rounds {
					gm := timed(r)
					sliceMs = append(sliceMs, timed(slow))
					wm := median(append([]float64(nil), runWASM(b, dir, path, input, per+1).Ms[1:]...))
					goMs, wasmMs, ratios = append(goMs, gm), append(wasmMs, wm), append(ratios, gm/wm)
				}
				b.ReportMetric(median(goMs), "go-ms")
				b.ReportMetric(median(sliceMs), "slice-ms")
				b.ReportMetric(median(wasmMs), "wasm-ms")
				b.ReportMetric(median(ratios), "go/wasm")
			}
		})
	}
}

// goRunner compiles the model at path on the go backend and runs it once.
func goRunner(b *testing.B, path string, how tapMethod) *Runner {
	m, err := ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	net, err := NewNetwork(m)
	if err != nil {
		b.Fatal(err)
	}
	net.taps = how
	be, err := backend.New("go")
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewRunner(be, net)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r.Run(context.Background(), make([]float32, 256*256*3)); err != nil {
		b.Fatal(err)
	}
	return r
}

func median(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
}
