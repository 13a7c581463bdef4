package tfjs

import (
	"context"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/internal/peers"
)

// BenchmarkMoveNetRatio measures this package on the go backend against TensorFlow.js's
// WebAssembly backend (single-threaded, SIMD) on the same photo, fairly on a busy machine: rounds
// alternate between the two (per round, the median of 3 go inferences and of 3 WASM inferences
// after a warm-up), and go/wasm is the median of the per-round ratios. Both at batch 1; the go
// backend uses its worker pool, the WASM backend one thread, so the CPU-time figures (process CPU
// per inference) are reported beside the wall-clock ones. Run with -benchtime=1x.
func BenchmarkMoveNetRatio(b *testing.B) {
	const rounds, per = 5, 3
	for _, tc := range agreementCases[:3] {
		b.Run(tc.model, func(b *testing.B) {
			mods := tfjsModules(b)
			path, g := loadGraph(b, tc.model)
			img := photoInput(b, tc.h, tc.w)
			input := tensors.FromFlatDataAndDimensions(img, 1, tc.h, tc.w, 3)
			r := goRunner(b, g)
			if _, err := r.Run(context.Background(), input); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				var goMs, goCPU, wasmMs, wasmCPU, ratios, cpuRatios []float64
				for range rounds {
					gm, gc := peers.Timed(b, per, func() error { _, err := r.Run(context.Background(), input); return err })
					w := runTFJS(b, mods, path, img, tc.h, tc.w, "wasm", per+1)
					wm, wc := peers.Median(append([]float64(nil), w.Ms[1:]...)), peers.Median(append([]float64(nil), w.CPUMs[1:]...))
					goMs, goCPU, wasmMs, wasmCPU = append(goMs, gm), append(goCPU, gc), append(wasmMs, wm), append(wasmCPU, wc)
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
