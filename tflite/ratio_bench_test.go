package tflite

import (
	"context"
	"testing"

	"github.com/posedistill/posedistill/internal/peers"
	"github.com/posedistill/posedistill/modelstore"
)

// BenchmarkBlazePoseRatio measures the imported networks on the go backend against TFLite's
// WebAssembly build on a busy machine fairly: rounds alternate between the two (per round, the
// median of 3 go inferences and of 3 WASM inferences after a warm-up), and the reported go/wasm
// is the median of the per-round ratios. Both at batch 1; the go backend uses its worker pool,
// the WASM build one thread, so the CPU-time figures (process CPU per inference, less sensitive
// to other load) are reported beside the wall-clock ones. Run with -benchtime=1x.
func BenchmarkBlazePoseRatio(b *testing.B) {
	const rounds, per = 5, 3
	for _, model := range []string{modelstore.PoseLandmarkFull, modelstore.PoseLandmarkHeavy, modelstore.PoseDetection} {
		b.Run(model, func(b *testing.B) {
			path := blazePoseFile(b, model)
			dir := wasmDir(b)
			r, input := goNetRunner(b, path)
			for b.Loop() {
				var goMs, goCPU, wasmMs, wasmCPU, ratios, cpuRatios []float64
				for range rounds {
					gm, gc := peers.Timed(b, per, func() error { _, err := r.Run(context.Background(), input); return err })
					w := runWASM(b, dir, path, input, per+1)
					wm := peers.Median(append([]float64(nil), w.Ms[1:]...))
					wc := wm
					if len(w.CPUMs) == len(w.Ms) {
						wc = peers.Median(append([]float64(nil), w.CPUMs[1:]...))
					}
					goMs, goCPU = append(goMs, gm), append(goCPU, gc)
					wasmMs, wasmCPU = append(wasmMs, wm), append(wasmCPU, wc)
					ratios, cpuRatios = append(ratios, gm/wm), append(cpuRatios, gc/wc)
				}
				b.ReportMetric(peers.Median(goMs), "go-ms")
				b.ReportMetric(peers.Median(goCPU), "go-cpu-ms")
				b.ReportMetric(peers.Median(wasmMs), "wasm-ms")
				b.ReportMetric(peers.Median(wasmCPU), "wasm-cpu-ms")
				b.ReportMetric(peers.Median(ratios), "go/wasm")
				b.ReportMetric(peers.Median(cpuRatios), "go/wasm-cpu")
			}
		})
	}
}
