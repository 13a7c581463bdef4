package export

import (
	"slices"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/nets"
)

// benchRounds is the number of alternating Go / ONNX Runtime measurement rounds: alternating exposes
// both engines to the same background load of a shared machine.
const benchRounds = 5

// BenchmarkMoVNectInfer times batch-1 inference of MoVNect (catalog "movnect", 128×128 input) with
// nets.Predictor on the pure-Go backend and, in the same run, the exported ONNX model in ONNX Runtime
// (onnxruntime-node, 2 intra-op threads, one warm-up run per round). The b.N Go runs are split into
// benchRounds rounds, each followed by 40 ONNX Runtime runs. It reports both medians,
// "go-median-ms/op" and "ort-ms/op", and their ratio "x-ort" (how many times faster ONNX Runtime is).
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
	model, err := ONNX(net, store, ONNXOptions{Batch: 1, Height: 128, Width: 128})
	if err != nil {
		b.Fatal(err)
	}
	flat := tensors.MustCopyFlatData[float32](image)
	var goTimes, ortTimes []float64
	b.ResetTimer()
	done := 0
	for round := range benchRounds {
		n := (b.N*(round+1))/benchRounds - done
		for range n {
			start := time.Now()
			if _, err := p.Predict(image); err != nil {
				b.Fatal(err)
			}
			goTimes = append(goTimes, float64(time.Since(start).Microseconds())/1000)
		}
		done += n
		b.StopTimer()
		ortTimes = append(ortTimes, runORT(b, model, flat, []int{1, 128, 128, 3}, 40).Ms...)
		b.StartTimer()
	}
	b.StopTimer()
	goMS, ortMS := median(goTimes), median(ortTimes)
	b.ReportMetric(goMS, "go-median-ms/op")
	b.ReportMetric(ortMS, "ort-ms/op")
	b.ReportMetric(goMS/ortMS, "x-ort")
}

// median returns the median of v (0 for none).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
