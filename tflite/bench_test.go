package tflite

import (
	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/modelstore"
)

// BenchmarkBlazePose compares, per model, one batch-1 inference of the imported network
// (ImportNet, built by package nets) on GoMLX's go backend ($GOMLX_BACKEND, e.g.
// "go:parallelism=1"; "go", one worker per core, when unset) with the same model on
// TFLite's WebAssembly build (XNNPACK, one thread), run through node in the same benchmark run.
// The wasm sub-benchmark reports the executor's own per-inference time (median), excluding node
// start-up and model loading. Compare go with wasm for the ratio.
func BenchmarkBlazePose(b *testing.B) {
	for _, model := range []string{modelstore.PoseLandmarkLite, modelstore.PoseLandmarkFull, modelstore.PoseLandmarkHeavy, modelstore.PoseDetection} {
		path := blazePoseFile(b, model)
		b.Run(model+"/go", func(b *testing.B) {
			r, input := goNetRunnerOn(b, path, "") // $GOMLX_BACKEND, else go with one worker per core
			b.ResetTimer()
			for b.Loop() {
				if _, err := r.Run(context.Background(), input); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(model+"/wasm", func(b *testing.B) {
			dir := wasmDir(b)
			iters := max(b.N, 5)
			res := runWASM(b, dir, path, modelInput(b, path), iters+1)
			ms := append([]float64(nil), res.Ms[1:]...) // the first inference warms up
			sort.Float64s(ms)
			med := ms[len(ms)/2]
			b.ReportMetric(med*float64(time.Millisecond), "ns/op")
		})
	}
}

// modelInput is the photo input of the BlazePose model at path: the detector's [−1, 1]
// 224×224 image or a landmark model's 256×256 crop.
func modelInput(t testing.TB, path string) []float32 {
	if isDetector(path) {
		return detectorInput(t)
	}
	return personCrop(t, 256)
}

// goNetRunner imports the BlazePose model at path, compiles it on the go backend and runs it
// once; it returns the runner and the model's photo input.
func goNetRunner(t testing.TB, path string) (*NetRunner, []float32) {
	t.Helper()
	return goNetRunnerOn(t, path, "go")
}

// goNetRunnerOn is goNetRunner on the backend named by config (backend.New: "go" has one worker
// per core, "go:parallelism=1" one thread).
func goNetRunnerOn(t testing.TB, path, config string) (*NetRunner, []float32) {
	t.Helper()
	var part *NetPart
	if isDetector(path) {
		_, part = importDetector(t, path)
	} else {
		_, part = importBlazePose(t, path)
	}
	r := partRunnerOn(t, part, config)
	input := modelInput(t, path)
	if _, err := r.Run(context.Background(), input); err != nil {
		t.Fatal(err)
	}
	return r, input
}

// isDetector reports whether path is BlazePose's person detector.
func isDetector(path string) bool { return filepath.Base(path) == modelstore.PoseDetection }

// partRunner runs an imported network part with its own weights on the go backend.
func partRunner(t testing.TB, part *NetPart) *NetRunner {
	t.Helper()
	return partRunnerOn(t, part, "go")
}

// partRunnerOn is partRunner on the backend named by config.
func partRunnerOn(t testing.TB, part *NetPart, config string) *NetRunner {
	t.Helper()
	store, err := part.NewStore()
	if err != nil {
		t.Fatal(err)
	}
	be, err := backend.New(config)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewNetRunner(be, part, store)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
