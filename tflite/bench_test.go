package tflite

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/modelstore"
)

// BenchmarkBlazePose compares, per model, one batch-1 inference of the Go translation on GoMLX's
// go backend — convolution taps cropped from the once-padded input (the default, "go"), one
// zero-padding Pad per tap ("go-padtaps") or strided Slices ("go-slicetaps"), or everything through ConvGeneral ("go-convgeneral",
// lite and detector only: it is slow) — with the same model on TFLite's WebAssembly build
// (XNNPACK, one thread), run through node in the same benchmark run. The wasm sub-benchmark
// reports the executor's own per-inference time (median), excluding node start-up and model
// loading. Compare go with wasm for the ratio.
func BenchmarkBlazePose(b *testing.B) {
	for _, tc := range []struct {
		model string
		size  int
	}{
		{modelstore.PoseLandmarkLite, 256},
		{modelstore.PoseLandmarkFull, 256},
		{modelstore.PoseLandmarkHeavy, 256},
		{modelstore.PoseDetection, 224},
	} {
		path := blazePoseFile(b, tc.model)
		input := personCrop(b, tc.size)
		b.Run(tc.model+"/go", func(b *testing.B) { benchGo(b, path, input, false, tapsByCrop) })
		b.Run(tc.model+"/go-padtaps", func(b *testing.B) { benchGo(b, path, input, false, tapsByPad) })
		b.Run(tc.model+"/go-slicetaps", func(b *testing.B) { benchGo(b, path, input, false, tapsBySlice) })
		if tc.model != modelstore.PoseLandmarkFull && tc.model != modelstore.PoseLandmarkHeavy {
			b.Run(tc.model+"/go-convgeneral", func(b *testing.B) { benchGo(b, path, input, true, tapsByCrop) })
		}
		b.Run(tc.model+"/wasm", func(b *testing.B) {
			dir := wasmDir(b)
			iters := max(b.N, 5)
			res := runWASM(b, dir, path, input, iters+1)
			ms := append([]float64(nil), res.Ms[1:]...) // the first inference warms up
			sort.Float64s(ms)
			med := ms[len(ms)/2]
			b.ReportMetric(med*float64(time.Millisecond), "ns/op")
		})
	}
}

// benchGo times Runner.Run on the go backend (compiled before the timing starts).
func benchGo(b *testing.B, path string, input []float32, native bool, dw tapMethod) {
	m, err := ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	net, err := NewNetwork(m)
	if err != nil {
		b.Fatal(err)
	}
	net.NativeConv, net.taps = native, dw
	be, err := backend.New("go")
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewRunner(be, net)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r.Run(context.Background(), input); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Run(context.Background(), input); err != nil {
			b.Fatal(err)
		}
	}
}
