package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/compress"
	"github.com/posedistill/posedistill/compress/study"
)

func TestCompressCommand(t *testing.T) {
	data, run := exportTestRun(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.yaml")
	cfg := "latency_runs: 2\nort_iterations: 2\nbatch_size: 2\nquantize: [f16, int8, int4]\n" +
		"prune:\n  ratios: [0.5]\n  multiple: 4\n  min_channels: 4\n  criterion: l1\nlow_rank:\n  energies: [0.5]\nsparsity: [0.75]\n" +
		"ptq:\n  calibration_crops: 4\n  percentiles: [99]\nfinetune:\n  steps: 3\n  alpha: 0.5\n  variants: [prune-0.5]\n  qat: [ptq-p99]\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if err := runCompress(context.Background(), []string{"--model", run, "--config", cfgPath, "--data", data, "--out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("compress: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "compress.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep study.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	rows := map[string]study.Measurement{}
	for _, r := range rep.Rows {
		rows[r.Variant] = r
		st, err := os.Stat(filepath.Join(out, "variants", r.File))
		if err != nil || st.Size() != r.Bytes {
			t.Errorf("%s: file %s: %v, bytes %d", r.Variant, r.File, err, r.Bytes)
		}
		if !(r.AP >= 0 && r.AP <= 1) || !(r.GoMs > 0) || r.FLOPs <= 0 || r.NonZeros > r.Params {
			t.Errorf("%s: implausible row %+v", r.Variant, r)
		}
	}
	orig := rows["original"]
	checks := []struct {
		name string
		ok   bool
	}{
		{"eleven variants", len(rep.Rows) == 11},
		{"QAT variant is a QDQ model of the original's layers", rows["ptq-p99+qat"].File == "ptq-p99+qat.onnx" && rows["ptq-p99+qat"].Params == rows["ptq-p99"].Params},
		{"PTQ variants are QDQ ONNX files", rows["ptq-minmax"].File == "ptq-minmax.onnx" && rows["ptq-p99"].File == "ptq-p99.onnx"},
		// Batch norm is folded: its four values per channel become one bias.
		{"PTQ keeps the network's layers", rows["ptq-minmax"].Params < orig.Params && rows["ptq-minmax"].Params > orig.Params*9/10 && rows["ptq-p99"].FLOPs <= orig.FLOPs},
		{"fine-tuned pruned variant keeps the pruned network", rows["prune-0.5+ft"].Params == rows["prune-0.5"].Params},
		{"f16 file smaller than float32", rows["f16"].Bytes < orig.Bytes},
		{"int8 file smaller than f16", rows["int8"].Bytes < rows["f16"].Bytes},
		{"int4 file smaller than int8", rows["int4"].Bytes < rows["int8"].Bytes},
		{"pruning removes parameters and FLOPs", rows["prune-0.5"].Params < orig.Params && rows["prune-0.5"].FLOPs < orig.FLOPs},
		{"low rank at half the energy removes parameters", rows["lowrank-0.5"].Params < orig.Params},
		{"sparsity zeroes weights, keeps parameters", rows["sparse-0.75"].NonZeros < orig.NonZeros && rows["sparse-0.75"].Params == orig.Params},
		{"a Pareto front", len(rep.Pareto) > 0},
		{"the original agrees with itself", orig.Agreement > 0.999},
		{"int4 agrees with the original less than f16", rows["int4"].Agreement < rows["f16"].Agreement},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: rows %+v", c.name, rep.Rows)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "compress.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"original", "f16", "int8", "int4", "prune-0.5", "lowrank-0.5", "sparse-0.75", "ptq-minmax", "ptq-p99", "prune-0.5+ft", "ptq-p99+qat"} {
		if !strings.Contains(string(md), "| "+v+" ") {
			t.Errorf("compress.md lacks %s", v)
		}
	}
	var ranges map[string]map[string]compress.ActRange
	if b, err := os.ReadFile(filepath.Join(out, "calibration.json")); err != nil || json.Unmarshal(b, &ranges) != nil {
		t.Errorf("calibration.json: %v", err)
	} else if mm, p := ranges["ptq-minmax"], ranges["ptq-p99"]; len(mm) == 0 || len(mm) != len(p) {
		t.Errorf("calibration.json: %d min/max and %d percentile ranges", len(mm), len(p))
	} else {
		for name, r := range p {
			if r.Lo < mm[name].Lo || r.Hi > mm[name].Hi {
				t.Errorf("calibration %s: percentile range %+v outside min/max %+v", name, r, mm[name])
			}
		}
	}
	if _, err := os.Stat(filepath.Join(out, "finetune", "prune-0.5", "checkpoint.ckpt")); err != nil {
		t.Errorf("fine-tune run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "agreement.png")); err != nil {
		t.Errorf("agreement plot: %v", err)
	}
	f, err := os.Open(filepath.Join(out, "pareto.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("pareto.png: %v", err)
	}
}

func TestCompressCommandErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknown := write("unknown.yaml", "quantise: [int8]\n")
	badFormat := write("format.yaml", "quantize: [int3]\n")
	badRatio := write("ratio.yaml", "prune:\n  ratios: [1.5]\n")
	badEnergy := write("energy.yaml", "low_rank:\n  energies: [0]\n")
	badCrit := write("crit.yaml", "prune:\n  criterion: random\n")
	badPct := write("pct.yaml", "ptq:\n  calibration_crops: 4\n  percentiles: [101]\n")
	badAlpha := write("alpha.yaml", "finetune:\n  steps: 2\n  alpha: 2\n")
	ok := write("ok.yaml", "quantize: [int8]\n")
	tests := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no model", []string{"--data", dir, "--out", dir}, true, ""},
		{"no data", []string{"--model", dir, "--out", dir}, true, ""},
		{"unknown key", []string{"--model", dir, "--data", dir, "--out", dir, "--config", unknown}, false, "quantise"},
		{"bad format", []string{"--model", dir, "--data", dir, "--out", dir, "--config", badFormat}, false, "int3"},
		{"bad ratio", []string{"--model", dir, "--data", dir, "--out", dir, "--config", badRatio}, false, "1.5"},
		{"bad energy", []string{"--model", dir, "--data", dir, "--out", dir, "--config", badEnergy}, false, "energy"},
		{"bad criterion", []string{"--model", dir, "--data", dir, "--out", dir, "--config", badCrit}, false, "random"},
		{"bad percentile", []string{"--model", dir, "--data", dir, "--out", dir, "--config", badPct}, false, "101"},
		{"bad alpha", []string{"--model", dir, "--data", dir, "--out", dir, "--config", badAlpha}, false, "alpha"},
		{"missing config", []string{"--model", dir, "--data", dir, "--out", dir, "--config", filepath.Join(dir, "none.yaml")}, false, "none.yaml"},
		{"not a run", []string{"--model", dir, "--data", dir, "--out", dir, "--config", ok}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := runCompress(context.Background(), tt.args, &stdout, &stderr)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, errUsage) != tt.usage || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v: usage %v, want %v and %q", err, errors.Is(err, errUsage), tt.usage, tt.want)
			}
		})
	}
}
