// Package runs exports a trained run directory: ONNX (batch norm folded, native convolutions,
// optional int8 weights), a QDQ int8 model calibrated on training crops, safetensors, and checks
// every ONNX file in ONNX Runtime against the Go predictor (Export, behind "posedistill export").
package runs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	backends "github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/compress"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/export/ortnode"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/train"
)

// Options configure Export.
type Options struct {
	// RunDir is the run (train.LoadTrained); ONNX the file to write.
	RunDir, ONNX string
	// Int8Weights stores convolution kernels as int8 with a scale per output channel.
	Int8Weights bool
	// NCHW makes the model's input and outputs NCHW (default NHWC, as the Go predictor).
	NCHW bool
	// Safetensors, when set, also writes the run's variables there.
	Safetensors string
	// Seed is the seed of the random input of the ONNX Runtime check.
	Seed uint64
	// QDQData, when set, writes a QDQ int8 model instead, calibrated on CalibrationCrops crops of
	// QDQData/train.json, with activation ranges by min/max or, when positive, Percentile.
	QDQData          string
	CalibrationCrops int
	Percentile       float64
}

// Export writes the files opts asks for and checks the ONNX model in ONNX Runtime (when ortnode
// finds it), reporting each file and each check as a line on w.
func Export(ctx context.Context, o Options, w io.Writer) error {
	if o.QDQData != "" && (o.CalibrationCrops < 1 || (o.Percentile != 0 && !(o.Percentile > 50 && o.Percentile <= 100))) {
		return fmt.Errorf("export: calibration crops %d, percentile %g (want ≥ 1 and 0 or (50, 100])", o.CalibrationCrops, o.Percentile)
	}
	run, err := train.LoadTrained(o.RunDir)
	if err != nil {
		return err
	}
	cfg, net, store, ckpt := run.Config, run.Net, run.Store, run.Checkpoint
	if o.QDQData != "" {
		return exportQDQ(ctx, cfg, net, store, ckpt, o.QDQData, o.CalibrationCrops, o.Percentile, o.ONNX, o.NCHW, o.Seed, w)
	}
	opt := export.ONNXOptions{Height: cfg.InputH, Width: cfg.InputW, NCHW: o.NCHW, Int8Weights: o.Int8Weights}
	if err := export.WriteONNX(o.ONNX, net, store, opt); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (%s, %s)\n", o.ONNX, fileSize(o.ONNX), ckpt)
	if o.Safetensors != "" {
		list, err := export.StoreTensors(store)
		if err != nil {
			return fmt.Errorf("%s: %w", ckpt, err)
		}
		meta := map[string]string{"posedistill.arch": cfg.Model.Arch, "posedistill.run": cfg.Name}
		if err := export.WriteSafetensors(o.Safetensors, list, meta); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s (%s)\n", o.Safetensors, fileSize(o.Safetensors))
	}
	runner, err := ortnode.Find()
	if errors.Is(err, ortnode.ErrUnavailable) {
		fmt.Fprintf(w, "ONNX Runtime check skipped: %v\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	be, err := backends.New("go")
	if err != nil {
		return err
	}
	defer be.Finalize()
	diff, err := compareONNX(ctx, be, runner, net, store, o.ONNX, cfg.InputH, cfg.InputW, o.NCHW, o.Seed)
	if err != nil {
		return err
	}
	for _, d := range diff {
		fmt.Fprintf(w, "ONNX Runtime vs Go predictor, %s: max |difference| %.3g (max |value| %.3g)\n", d.name, d.maxDiff, d.maxAbs)
	}
	if !o.Int8Weights {
		return nil
	}
	// The int8 model differs from the float one by its quantization error; against the Go predictor
	// of the same quantized weights (folded, then int8 per channel) it must agree to rounding.
	qnet, qstore, err := export.FoldBatchNorm(net, store, "", true)
	if err != nil {
		return err
	}
	qdiff, err := compareONNX(ctx, be, runner, qnet, qstore, o.ONNX, cfg.InputH, cfg.InputW, o.NCHW, o.Seed)
	if err != nil {
		return err
	}
	for _, d := range qdiff {
		fmt.Fprintf(w, "ONNX Runtime vs Go predictor of the int8-dequantized weights, %s: max |difference| %.3g (max |value| %.3g)\n", d.name, d.maxDiff, d.maxAbs)
	}
	return nil
}

// predictor is what Export compares with ONNX Runtime: a nets.Predictor or a quantized one.
type predictor interface {
	Predict(images *tensors.Tensor) (nets.Prediction, error)
	Finalize()
}

// fileSize formats the size of the file at path, or "?" when it cannot be read.
func fileSize(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%d bytes", st.Size())
}

// headDiff is the largest absolute difference between ONNX Runtime's and the Go predictor's values
// of one output, and the largest absolute Go value (for scale).
type headDiff struct {
	name            string
	maxDiff, maxAbs float64
}

// compareONNX runs the ONNX model at path in ONNX Runtime and net with store on the go backend on one
// random image [1, h, w, C] drawn from seed, and returns the differences of their outputs.
func compareONNX(ctx context.Context, be compute.Backend, runner *ortnode.Runner, net *nets.Net, store *model.Store, path string, h, w int, nchw bool, seed uint64) ([]headDiff, error) {
	p, err := nets.NewPredictor(be, store, net)
	if err != nil {
		return nil, err
	}
	defer p.Finalize()
	c := net.InputChannels
	rng := rand.New(rand.NewPCG(seed, 0x6f6e6e78))
	img := make([]float32, h*w*c)
	for i := range img {
		img[i] = rng.Float32()*2 - 1
	}
	return comparePredictorONNX(ctx, runner, p, net, path, img, h, w, nchw)
}

// comparePredictorONNX runs the ONNX model at path in ONNX Runtime and predictor p of net on the
// image img [1, h, w, C] and returns the differences of their outputs.
func comparePredictorONNX(ctx context.Context, runner *ortnode.Runner, p predictor, net *nets.Net, path string, img []float32, h, w int, nchw bool) ([]headDiff, error) {
	c := net.InputChannels
	pred, err := p.Predict(tensors.FromFlatDataAndDimensions(img, 1, h, w, c))
	if err != nil {
		return nil, fmt.Errorf("predict %s: %w", net.Name, err)
	}
	in, dims := img, []int{1, h, w, c}
	if nchw {
		in, dims = toNCHW(img, h, w, c), []int{1, c, h, w}
	}
	res, err := runner.Run(ctx, path, in, dims, 0)
	if err != nil {
		return nil, err
	}
	var out []headDiff
	for _, head := range []struct {
		name string
		t    *tensors.Tensor
	}{{"heatmaps", pred.Heatmaps}, {"locations", pred.Locations}, {"mask", pred.Mask}, {"offsets", pred.Offsets}, {"regression", pred.Regression}} {
		if head.t == nil {
			continue
		}
		goVals, err := tensors.CopyFlatData[float32](head.t)
		if err != nil {
			return nil, fmt.Errorf("%s output %s: %w", net.Name, head.name, err)
		}
		ortVals, ok := res.Outputs[head.name]
		if !ok {
			return nil, fmt.Errorf("%s: ONNX Runtime gave no output %q", path, head.name)
		}
		if len(ortVals) != len(goVals) {
			return nil, fmt.Errorf("%s: output %s has %d values, the Go predictor's %d", path, head.name, len(ortVals), len(goVals))
		}
		if nchw {
			d := head.t.Shape().Dimensions
			ortVals = toNHWC(ortVals, d[1], d[2], d[3])
		}
		d := headDiff{name: head.name}
		for i, v := range goVals {
			d.maxDiff = math.Max(d.maxDiff, math.Abs(float64(v)-float64(ortVals[i])))
			d.maxAbs = math.Max(d.maxAbs, math.Abs(float64(v)))
		}
		out = append(out, d)
	}
	return out, nil
}

// toNCHW transposes one image [h, w, c] to [c, h, w].
func toNCHW(x []float32, h, w, c int) []float32 {
	out := make([]float32, len(x))
	for y := range h {
		for i := range w {
			for k := range c {
				out[(k*h+y)*w+i] = x[(y*w+i)*c+k]
			}
		}
	}
	return out
}

// toNHWC transposes one map [c, h, w] to [h, w, c].
func toNHWC(x []float32, h, w, c int) []float32 {
	out := make([]float32, len(x))
	for y := range h {
		for i := range w {
			for k := range c {
				out[(y*w+i)*c+k] = x[(k*h+y)*w+i]
			}
		}
	}
	return out
}

// exportQDQ calibrates activation ranges on crops of dataDir's training split, writes the QDQ int8
// model to path and checks it in ONNX Runtime against the Go fake-quant predictor, in units of each
// output's quantization step.
func exportQDQ(ctx context.Context, cfg train.Config, net *nets.Net, store *model.Store, ckpt, dataDir string, n int, pct float64, path string, nchw bool, seed uint64, w io.Writer) error {
	be, err := backends.New("go")
	if err != nil {
		return err
	}
	defer be.Finalize()
	split, err := train.ReadSplit(ctx, dataDir, "train.json")
	if err != nil {
		return err
	}
	sc, err := cfg.SampleConfig(false)
	if err != nil {
		return err
	}
	batches, err := compress.Crops(ctx, sc, split.Instances, n, 8, seed)
	if err != nil {
		return err
	}
	cal, err := compress.Calibrate(ctx, be, net, store, batches, compress.CalibrationOptions{})
	if err != nil {
		return err
	}
	ranges, method := cal.MinMax, "min/max"
	if pct != 0 {
		if ranges, err = cal.Percentile(pct); err != nil {
			return err
		}
		method = fmt.Sprintf("percentile %g", pct)
	}
	q, err := compress.PostTrainingQuant(net, store, "", ranges)
	if err != nil {
		return err
	}
	if err := q.WriteONNX(path, export.ONNXOptions{Height: cfg.InputH, Width: cfg.InputW, NCHW: nchw}); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (%s, QDQ int8, activation ranges by %s on crops of %s, %s)\n", path, fileSize(path), method, split.Path, ckpt)
	runner, err := ortnode.Find()
	if errors.Is(err, ortnode.ErrUnavailable) {
		fmt.Fprintf(w, "ONNX Runtime check skipped: %v\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	runner.Reference = true // what the QDQ model means, not how fused integer kernels round it
	// The check runs on a calibration crop: on inputs unlike the calibration data, activations
	// saturate and the two integer implementations drift further apart.
	p, err := q.Predictor(be)
	if err != nil {
		return err
	}
	defer p.Finalize()
	img, err := tensors.CopyFlatData[float32](batches[0])
	if err != nil {
		return err
	}
	img = img[:cfg.InputH*cfg.InputW*net.InputChannels]
	diff, err := comparePredictorONNX(ctx, runner, p, q.Net, path, img, cfg.InputH, cfg.InputW, nchw)
	if err != nil {
		return err
	}
	fp, err := nets.NewPredictor(be, store, net)
	if err != nil {
		return err
	}
	defer fp.Finalize()
	floatDiff, err := comparePredictorONNX(ctx, runner, fp, net, path, img, cfg.InputH, cfg.InputW, nchw)
	if err != nil {
		return err
	}
	heads := map[string]string{"heatmaps": net.Heads.Heatmaps, "locations": net.Heads.Locations, "mask": net.Heads.Mask,
		"offsets": net.Heads.Offsets, "regression": net.Heads.Regression}
	for i, d := range diff {
		step := float64(q.Activations[heads[d.name]].Scale)
		fmt.Fprintf(w, "ONNX Runtime vs Go fake-quant predictor, %s: max |difference| %.3g = %.2f quantization steps (max |value| %.3g); vs the float model: %.2f steps\n",
			d.name, d.maxDiff, d.maxDiff/step, d.maxAbs, floatDiff[i].maxDiff/step)
	}
	return nil
}
