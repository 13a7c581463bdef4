package tflite

import (
	"context"
	"testing"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/internal/peers"
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
				return peers.Timed(b, per, func() error { _, err := r.Run(context.Background(), input); return err })
			}
			for b.Loop() {
				var goMs, goCPU, sliceMs, sliceCPU, padMs, padCPU, wasmMs, wasmCPU, ratios, cpuRatios []float64
				for range rounds {
					gm, gc := timed(r)
					sm, sc := timed(slow)
					pm, pc := timed(pad)
					padMs, padCPU = append(padMs, pm), append(padCPU, pc)
					w := runWASM(b, dir, path, input, per+1)
					wm := peers.Median(append([]float64(nil), w.Ms[1:]...))
					wc := wm
					if len(w.CPUMs) == len(w.Ms) {
						wc = peers.Median(append([]float64(nil), w.CPUMs[1:]...))
					}
					goMs, goCPU, sliceMs, sliceCPU = append(goMs, gm), append(goCPU, gc), append(sliceMs, sm), append(sliceCPU, sc)
					wasmMs, wasmCPU = append(wasmMs, wm), append(wasmCPU, wc)
					ratios, cpuRatios = append(ratios, gm/wm), append(cpuRatios, gc/wc)
				}
				b.ReportMetric(peers.Median(goMs), "go-ms")
				b.ReportMetric(peers.Median(goCPU), "go-cpu-ms")
				b.ReportMetric(peers.Median(sliceMs), "slice-ms")
				b.ReportMetric(peers.Median(sliceCPU), "slice-cpu-ms")
				b.ReportMetric(peers.Median(padMs), "pad-ms")
				b.ReportMetric(peers.Median(padCPU), "pad-cpu-ms")
				b.ReportMetric(peers.Median(wasmMs), "wasm-ms")
				b.ReportMetric(peers.Median(wasmCPU), "wasm-cpu-ms")
				b.ReportMetric(peers.Median(ratios), "go/wasm")
				b.ReportMetric(peers.Median(cpuRatios), "go/wasm-cpu")
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
