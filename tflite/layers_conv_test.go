package tflite

import (
	"context"
	"testing"
	"time"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/modelstore"
)

// loweredRunner compiles the model at path (input size×size) on the go backend with the
// convolutions built as how says, and runs it once.
func loweredRunner(t testing.TB, path string, how tapMethod, size int) *Runner {
	t.Helper()
	m, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	net, err := NewNetwork(m)
	if err != nil {
		t.Fatal(err)
	}
	net.taps = how
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(be, net)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background(), make([]float32, size*size*3)); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestLayersLowering checks that the BlazePose models give the same outputs with their
// convolutions built by nets/layers (tapsByLayers) as with this package's own lowering.
func TestLayersLowering(t *testing.T) {
	if testing.Short() {
		t.Skip("model comparison skipped in -short mode")
	}
	for _, tc := range []struct {
		model string
		size  int
	}{{modelstore.PoseLandmarkFull, 256}, {modelstore.PoseDetection, 224}} {
		path := blazePoseFile(t, tc.model)
		input := personCrop(t, tc.size)
		var outs [2][][]float32
		for i, how := range []tapMethod{tapsByCrop, tapsByLayers} {
			r := loweredRunner(t, path, how, tc.size)
			var err error
			if outs[i], err = r.Run(context.Background(), input); err != nil {
				t.Fatal(err)
			}
		}
		for j := range outs[0] {
			diff, scale := maxAbsDiff(outs[1][j], outs[0][j])
			t.Logf("%s output %d: max |layers − own| %.3g (max %.3g)", tc.model, j, diff, scale)
			// As TestAgainstTFLiteWASM: float32 sums in a different order (and the depthwise kernel's
			// fused multiply-adds) drift by ~1e-4 relative on the large segmentation logits.
			if diff > 5e-4*max(1, scale) {
				t.Errorf("%s output %d: layers lowering differs by %.3g", tc.model, j, diff)
			}
		}
	}
}

// BenchmarkLayersLowering times the BlazePose landmark models with this package's lowering (own)
// and with nets/layers' (layers), alternating in rounds on the same input; layers/own is the
// median of the per-round ratios of the medians of 3 inferences. Run with -benchtime=1x.
func BenchmarkLayersLowering(b *testing.B) {
	const rounds, per = 5, 3
	for _, model := range []string{modelstore.PoseLandmarkFull, modelstore.PoseLandmarkHeavy} {
		b.Run(model, func(b *testing.B) {
			path := blazePoseFile(b, model)
			input := personCrop(b, 256)
			own, lay := loweredRunner(b, path, tapsByCrop, 256), loweredRunner(b, path, tapsByLayers, 256)
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
				var ownMs, ownCPU, layMs, layCPU, ratios, cpuRatios []float64
				for range rounds {
					om, oc := timed(own)
					lm, lc := timed(lay)
					ownMs, ownCPU, layMs, layCPU = append(ownMs, om), append(ownCPU, oc), append(layMs, lm), append(layCPU, lc)
					ratios, cpuRatios = append(ratios, lm/om), append(cpuRatios, lc/oc)
				}
				b.ReportMetric(median(ownMs), "own-ms")
				b.ReportMetric(median(ownCPU), "own-cpu-ms")
				b.ReportMetric(median(layMs), "layers-ms")
				b.ReportMetric(median(layCPU), "layers-cpu-ms")
				b.ReportMetric(median(ratios), "layers/own")
				b.ReportMetric(median(cpuRatios), "layers/own-cpu")
			}
		})
	}
}
