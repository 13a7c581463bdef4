package compress

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/export/ortnode"
)

// qdqTolerance is the agreement asked of ONNX Runtime's QDQ model and the Go fake-quant model, in
// units of each head's output quantization step: ONNX Runtime fuses Q/DQ pairs into integer kernels
// (QLinearConv, QLinearAdd, …) that round once per layer where the Go model rounds float32 sums, so a
// code can differ by one step at any layer and the difference travels; most outputs agree exactly.
const (
	qdqMaxSteps    = 2   // largest difference, in output steps
	qdqMeanSteps   = 0.2 // mean absolute difference, in output steps
	qdqCleanMinPct = 80  // at least this percentage of outputs identical
)

// TestQDQAgreesWithORT exports a small calibrated network as a QDQ ONNX model (int8 weights, uint8
// activations after every layer) and checks that ONNX Runtime computes what the Go fake-quant model
// does, within the stated tolerance, while the float32 ONNX model is measurably different (the Q/DQ
// pairs are not ignored).
func TestQDQAgreesWithORT(t *testing.T) {
	runner, err := ortnode.Find()
	if err != nil {
		t.Skip(err)
	}
	runner.Reference = true // the specification's rounding, not that of fused integer kernels
	backend := goBackend(t)
	for _, name := range []string{"allops", "movnect"} {
		t.Run(name, func(t *testing.T) {
			tc := testNets(t)[name]
			store := randomStore(t, backend, tc.net, 21)
			calib := randomImages(22, 4, tc.h, tc.w, 3)
			cal, err := Calibrate(context.Background(), backend, tc.net, store, []*tensors.Tensor{calib}, CalibrationOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ranges, err := cal.Percentile(99.9)
			if err != nil {
				t.Fatal(err)
			}
			m, err := PostTrainingQuant(tc.net, store, "", ranges)
			if err != nil {
				t.Fatal(err)
			}
			acts := m.Activations
			images := randomImages(23, 1, tc.h, tc.w, 3) // not a calibration image
			goOut := quantPredict(t, backend, m.Net, m.Store, QuantSpec{Activations: acts}, images)
			dir := t.TempDir()
			run := func(file string, write func(string) error) map[string][]float32 {
				path := filepath.Join(dir, file)
				if err := write(path); err != nil {
					t.Fatal(err)
				}
				res, err := runner.Run(context.Background(), path, tensors.MustCopyFlatData[float32](images), images.Shape().Dimensions, 0)
				if err != nil {
					t.Fatal(err)
				}
				return res.Outputs
			}
			base := export.ONNXOptions{Height: tc.h, Width: tc.w, Batch: 1, Int8Weights: true}
			ort := run("qdq.onnx", func(p string) error { return m.WriteONNX(p, base) })
			float := run("float.onnx", func(p string) error { return export.WriteONNX(p, tc.net, store, base) })
			heads := []string{"heatmaps", "locations", "mask"}
			layerOf := map[string]string{"heatmaps": tc.net.Heads.Heatmaps, "locations": tc.net.Heads.Locations, "mask": tc.net.Heads.Mask}
			h := 0
			for _, head := range heads {
				if layerOf[head] == "" {
					continue
				}
				step := float64(acts[layerOf[head]].Scale)
				got, want, fl := ort[head], goOut[h], float[head]
				h++
				if len(got) != len(want) {
					t.Fatalf("%s: ONNX Runtime %d values, Go %d", head, len(got), len(want))
				}
				var maxD, sumD float64
				same, floatSame := 0, 0
				for i := range want {
					d := math.Abs(float64(got[i]-want[i])) / step
					maxD, sumD = max(maxD, d), sumD+d
					if d < 1e-3 {
						same++
					}
					if math.Abs(float64(fl[i]-want[i]))/step < 1e-3 {
						floatSame++
					}
				}
				mean, pct := sumD/float64(len(want)), 100*float64(same)/float64(len(want))
				t.Logf("%s: ORT QDQ vs Go fake quant: max %.2f steps, mean %.3f steps, %.1f%% identical (step %.4g); float ONNX vs Go fake quant: %.1f%% identical",
					head, maxD, mean, pct, step, 100*float64(floatSame)/float64(len(want)))
				if maxD > qdqMaxSteps || mean > qdqMeanSteps || pct < qdqCleanMinPct {
					t.Errorf("%s: ORT QDQ vs Go fake quant beyond tolerance (max %d steps, mean %.2f, %d%% identical)", head, qdqMaxSteps, qdqMeanSteps, qdqCleanMinPct)
				}
				if 10*floatSame > len(want) {
					t.Errorf("%s: the float model gives %d of %d fake-quant outputs exactly: quantization not visible", head, floatSame, len(want))
				}
			}
		})
	}
}
