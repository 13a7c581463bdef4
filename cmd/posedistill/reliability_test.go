package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainRefusesBadFlagsAndExistingRuns: flag values that used to be ignored are refused with a
// one-line error naming the flag, and a second train into a run folder is refused unless
// --resume or --overwrite (issue 16).
func TestTrainRefusesBadFlagsAndExistingRuns(t *testing.T) {
	data, _ := exportTestRun(t)
	cfg := tinyTrainConfig(t, "8")
	out := filepath.Join(t.TempDir(), "run")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--steps", "-5"}, "--steps -5"},
		{[]string{"--batch", "-1"}, "--batch -1"},
		{[]string{"--lr", "NaN"}, "--lr NaN"},
		{[]string{"--lr", "+Inf"}, "--lr +Inf"},
		{[]string{"--workers", "-2"}, "--workers -2"},
		{[]string{"--validate-every", "-3"}, "--validate-every -3"},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"train", "--config", cfg, "--data", data, "--out", out}, c.args...)
		code := run(context.Background(), args, &stdout, &stderr)
		msg := strings.TrimSpace(stderr.String())
		if code == 0 || !strings.Contains(msg, c.want) || strings.Count(msg, "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want one line with %q", c.args, code, msg, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "config.json")); !os.IsNotExist(err) {
		t.Fatalf("a refused run wrote its folder: %v", err)
	}
	train := func(extra ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"train", "--config", cfg, "--data", data, "--out", out}, extra...), &stdout, &stderr)
		return code, stderr.String()
	}
	if code, msg := train(); code != 0 {
		t.Fatalf("first run: %s", msg)
	}
	if code, msg := train(); code == 0 || !strings.Contains(msg, "--overwrite") {
		t.Errorf("second run into the folder: exit %d, %q", code, msg)
	}
	if code, msg := train("--overwrite"); code != 0 {
		t.Errorf("--overwrite: %s", msg)
	}
	if code, msg := train("--resume", "--lr", "0.5"); code == 0 || !strings.Contains(msg, "lr") {
		t.Errorf("--resume with another lr: exit %d, %q", code, msg)
	}
}

// TestSynthRerunThatFailsKeepsTheDataset: a synth rerun that fails leaves the previous dataset
// whole (issue 16: the old train.json stayed over new images).
func TestSynthRerunThatFailsKeepsTheDataset(t *testing.T) {
	out := filepath.Join(t.TempDir(), "synth")
	args := []string{"synth", "--out", out, "--images", "4", "--size", "64x64", "--people", "1", "--sheet", "0", "--workers", "1"}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("synth: %s", stderr.String())
	}
	before, _ := os.ReadFile(filepath.Join(out, "train.json"))
	imgs, _ := filepath.Glob(filepath.Join(out, "images", "*"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := run(ctx, append(args, "--seed", "2", "--images", "6"), &stdout, &stderr); code == 0 {
		t.Fatal("cancelled rerun succeeded")
	}
	after, _ := os.ReadFile(filepath.Join(out, "train.json"))
	imgs2, _ := filepath.Glob(filepath.Join(out, "images", "*"))
	if !bytes.Equal(before, after) || len(imgs2) != len(imgs) {
		t.Errorf("failed rerun changed the dataset: train.json equal %v, %d images (was %d)", bytes.Equal(before, after), len(imgs2), len(imgs))
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("leftovers beside the dataset: %v", entries)
	}
}
