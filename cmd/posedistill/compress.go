package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/posedistill/posedistill/compress/study"
)

// runCompress measures a trained run compressed in every way its config lists (study.Run).
func runCompress(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compress", "compress --model RUN --config configs/compress_movnect.yaml --data DIR --out DIR", stderr)
	runDir := fs.String("model", "", "run directory of posedistill train")
	configPath := fs.String("config", "configs/compress_movnect.yaml", "variants to measure (YAML)")
	data := fs.String("data", "", "dataset directory whose val.json is evaluated (posedistill synth --out DIR)")
	out := fs.String("out", "", "output directory: variants/, compress.md, compress.json, pareto.png, agreement.png, calibration.json, finetune/")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *runDir == "" || *data == "" || *out == "" {
		fmt.Fprintln(fs.Output(), "posedistill compress: --model, --data and --out are required")
		fs.Usage()
		return errUsage
	}
	cc, err := study.ReadConfig(*configPath)
	if err != nil {
		return err
	}
	rep, err := study.Run(ctx, study.Options{RunDir: *runDir, DataDir: *data, OutDir: *out, Config: cc, Progress: stderr})
	if err != nil {
		return err
	}
	for _, row := range rep.Rows {
		fmt.Fprintf(stdout, "%-14s %9d bytes  %8d params  %6.1f MFLOPs  go %6.2f ms  ort %5.2f ms  AP %.4f  agreement AP %.3f\n",
			row.Variant, row.Bytes, row.Params, float64(row.FLOPs)/1e6, row.GoMs, row.ORTMs, row.AP, row.Agreement)
	}
	fmt.Fprintf(stdout, "wrote %s, compress.json, pareto.png and agreement.png (Pareto front: %v)\n", filepath.Join(*out, "compress.md"), rep.Pareto)
	return nil
}
