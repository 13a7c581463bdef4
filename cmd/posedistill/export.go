package main

import (
	"context"
	"fmt"
	"io"

	"github.com/posedistill/posedistill/export/runs"
)

// runExport writes a trained run as ONNX (and optionally safetensors) and checks the ONNX model in
// ONNX Runtime against the Go predictor (runs.Export).
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", "export --model RUN --onnx OUT.onnx [--int8-weights | --qdq-data DIR] [--nchw] [--safetensors OUT.safetensors]", stderr)
	runDir := fs.String("model", "", "run directory of posedistill train (best.ckpt, else checkpoint.ckpt)")
	onnxPath := fs.String("onnx", "", "ONNX file to write (batch-norm folded, native Conv; input fixed to the run's size, symbolic batch)")
	int8w := fs.Bool("int8-weights", false, "store convolution kernels as int8 with a scale per output channel (DequantizeLinear → Conv)")
	nchw := fs.Bool("nchw", false, "NCHW input and outputs (default NHWC, as the Go predictor)")
	stPath := fs.String("safetensors", "", "also write the run's variables as a safetensors file")
	seed := fs.Uint64("seed", 1, "seed of the random input of the ONNX Runtime check")
	qdqData := fs.String("qdq-data", "", "write a QDQ int8 model instead (int8 weights, uint8 activations) calibrated on crops of DIR/train.json")
	crops := fs.Int("calibration-crops", 64, "with --qdq-data: number of calibration crops")
	pct := fs.Float64("percentile", 0, "with --qdq-data: activation ranges from this percentile (e.g. 99.99) instead of min/max")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *runDir == "" || *onnxPath == "" {
		fmt.Fprintln(fs.Output(), "posedistill export: --model and --onnx are required")
		fs.Usage()
		return errUsage
	}
	if *qdqData != "" && (*crops < 1 || (*pct != 0 && !(*pct > 50 && *pct <= 100))) {
		return fmt.Errorf("export: --calibration-crops %d, --percentile %g (want ≥ 1 and 0 or (50, 100])", *crops, *pct)
	}
	return runs.Export(ctx, runs.Options{RunDir: *runDir, ONNX: *onnxPath, Int8Weights: *int8w, NCHW: *nchw, Safetensors: *stPath, Seed: *seed,
		QDQData: *qdqData, CalibrationCrops: *crops, Percentile: *pct}, stdout)
}
