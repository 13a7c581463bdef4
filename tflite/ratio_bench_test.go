package tflite

import (
	"context"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/modelstore"
)

// BenchmarkBlazePoseRatio measures the go backend against TFLite's WebAssembly build on a busy
// machine fairly: rounds alternate between the two (per round, the median of 3 go inferences and
// of 3 WASM inferences after a warm-up), and the reported go/wasm is the median of the per-round
// ratios. Both at batch 1; the go backend uses its worker pool, the WASM build one thread, so
// the CPU-time figures (process CPU per inference, less sensitive to other load) are reported
// beside the wall-clock ones.
// go is the default lowering (taps cropped from the once-padded input); slice-ms is the go
// backend with the former strided-Slice taps, pad-ms with one zero-padding crop Pad per tap,
// timed in the same rounds.
// Run with -benchtime=1x.
func BenchmarkBlazePoseRatio(b *testing.B) {
	const rounds, per = 5, 3
	for _, model := range []string{modelstore.PoseLandmarkFull, modelstore.PoseLandmarkHeavy} {
		b.Run(model, func(b *testing.B) {
			path := blazePoseFile(b, model)
			input := personCrop(b, 256)
			dir := wasmDir(b)
			r, slow, pad := goRunner(b, path, tapsByCrop), goRunner(b, path, tapsBySlice), goRunner(b, path, tapsByPad)
			timed := func(r *Runner) (wall, cpu float64) {
				var ms, cms []float64
				for range per {
					start, c0 := time.Now(), cpuTime(b)
					if _, err := r.Run(context.Background(), input); err != nil {
						b.Fatal(err)
					}
					ms = append(ms, float64(time.Since(start).Microseconds())/1000)
					cms = append(cms, float64((cpuTime(b)-c0).Microseconds())/1000)
				}
				return median(ms), median(cms)
			}
			for b.Loop() {
				var goMs, goCPU, sliceMs, sliceCPU, padMs, padCPU, wasmMs, wasmCPU, ratios, cpuRatios []float64
				for range rounds {
					gm, gc := timed(r)
					sm, sc := timed(slow)
					pm, pc := timed(pad)
					padMs, padCPU = append(padMs, pm), append(padCPU, pc)
					w := runWASM(b, dir, path, input, per+1)
					wm := median(append([]float64(nil), w.Ms[1:]...))
					wc := wm
					if len(w.CPUMs) == len(w.Ms) {
						wc = median(append([]float64(nil), w.CPUMs[1:]...))
					}
					goMs, goCPU, sliceMs, sliceCPU = append(goMs, gm), append(goCPU, gc), append(sliceMs, sm), append(sliceCPU, sc)
					wasmMs, wasmCPU = append(wasmMs, wm), append(wasmCPU, wc)
					ratios, cpuRatios = append(ratios, gm/wm), append(cpuRatios, gc/wc)
				}
				b.ReportMetric(median(goMs), "go-ms")
				b.ReportMetric(median(goCPU), "go-cpu-ms")
				b.ReportMetric(median(sliceMs), "slice-ms")
				b.ReportMetric(median(sliceCPU), "slice-cpu-ms")
				b.ReportMetric(median(padMs), "pad-ms")
				b.ReportMetric(median(padCPU), "pad-cpu-ms")
				b.ReportMetric(median(wasmMs), "wasm-ms")
				b.ReportMetric(median(wasmCPU), "wasm-cpu-ms")
				b.ReportMetric(median(ratios), "go/wasm")
				b.ReportMetric(median(cpuRatios), "go/wasm-cpu")
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

// cpuTime is the process's user + system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
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
