package export

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/nets"
)

// BenchmarkMoVNectInfer times batch-1 inference of MoVNect (catalog "movnect", 128×128 input) with
// nets.Predictor on the pure-Go backend and, in the same run, the exported ONNX model in ONNX Runtime
// (onnxruntime-node, 2 intra-op threads, 200 timed runs after one warm-up). It reports ONNX Runtime's
// median as "ort-ms/op" and the Go time over it as "x-ort" (how many times faster ONNX Runtime is).
func BenchmarkMoVNectInfer(b *testing.B) {
	backend := goBackend(b)
	net, err := nets.ByName("movnect")
	if err != nil {
		b.Fatal(err)
	}
	store := randomStore(b, backend, net, 1)
	image := randomImages(2, 1, 128, 128, 3)
	p, err := nets.NewPredictor(backend, store, net)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Finalize()
	for range 3 {
		if _, err := p.Predict(image); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		if _, err := p.Predict(image); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	goMS := float64(b.Elapsed().Microseconds()) / 1000 / float64(b.N)
	model, err := ONNX(net, store, ONNXOptions{Batch: 1, Height: 128, Width: 128})
	if err != nil {
		b.Fatal(err)
	}
	res := runORT(b, model, tensors.MustCopyFlatData[float32](image), []int{1, 128, 128, 3}, 200)
	ms := slices.Clone(res.Ms)
	slices.Sort(ms)
	median := ms[len(ms)/2]
	b.ReportMetric(median, "ort-ms/op")
	b.ReportMetric(goMS/median, "x-ort")
}
