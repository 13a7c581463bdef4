package tfjs

import (
	"context"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
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
					var ms, cms []float64
					for range per {
						start, c0 := time.Now(), cpuTime(b)
						if _, err := r.Run(context.Background(), input); err != nil {
							b.Fatal(err)
						}
						ms = append(ms, float64(time.Since(start).Microseconds())/1000)
						cms = append(cms, float64((cpuTime(b)-c0).Microseconds())/1000)
					}
					gm, gc := median(ms), median(cms)
					w := runTFJS(b, mods, path, img, tc.h, tc.w, "wasm", per+1)
					wm, wc := median(append([]float64(nil), w.Ms[1:]...)), median(append([]float64(nil), w.CPUMs[1:]...))
					goMs, goCPU, wasmMs, wasmCPU = append(goMs, gm), append(goCPU, gc), append(wasmMs, wm), append(wasmCPU, wc)
					ratios, cpuRatios = append(ratios, gm/wm), append(cpuRatios, gc/wc)
				}
				b.ReportMetric(median(goMs), "go-ms")
				b.ReportMetric(median(goCPU), "go-cpu-ms")
				b.ReportMetric(median(wasmMs), "wasm-ms")
				b.ReportMetric(median(wasmCPU), "wasm-cpu-ms")
				b.ReportMetric(median(ratios), "go/wasm")
				b.ReportMetric(median(cpuRatios), "go/wasm-cpu")
			}
		})
	}
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime(b testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
}
