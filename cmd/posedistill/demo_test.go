package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoQuick runs "posedistill demo --quick" end to end in a temporary directory and checks
// the report and its pictures. It takes a few minutes on 2 cores, so it runs only when
// POSEDISTILL_DEMO_TEST=1 (CI sets it in its own step).
func TestDemoQuick(t *testing.T) {
	if os.Getenv("POSEDISTILL_DEMO_TEST") != "1" {
		t.Skip("set POSEDISTILL_DEMO_TEST=1 to run the demo smoke test (a few minutes)")
	}
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"demo", "--quick", "--out", filepath.Join(dir, "out"), "--cache", filepath.Join(dir, "cache"), "--zoo", filepath.Join("..", "..", "zoo")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	page := strings.TrimSpace(stdout.String())
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"student gt", "student odkd", "teacher senior", "teacher3d", "heatmaps.png", "overlays.png", "curves.png", "ablation.png"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, f := range []string{"heatmaps.png", "overlays.png", "curves.png", "ablation.png", "results.json"} {
		if st, err := os.Stat(filepath.Join(filepath.Dir(page), f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if !strings.Contains(stderr.String(), "[stage") {
		t.Error("no stage progress on stderr")
	}
}

func TestDistillCommandErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no flags", []string{"distill"}, 2, "required"},
		{"missing config", []string{"distill", "--config", filepath.Join(dir, "none.yaml"), "--data", dir, "--out", dir, "--teacher", dir}, 1, "none.yaml"},
		{"experiment missing file", []string{"experiment", "--config", filepath.Join(dir, "none.yaml")}, 1, "none.yaml"},
		{"experiment bad scale", []string{"experiment", "--config", "../../configs/odkd_ablation.yaml", "--scale", "-1"}, 1, "scale"},
		{"demo extra argument", []string{"demo", "now"}, 2, "unexpected"},
		{"demo without its zoo", []string{"demo", "--quick", "--out", filepath.Join(dir, "demo"), "--zoo", filepath.Join(dir, "nozoo")}, 1, "pretrained models are missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), c.args, &stdout, &stderr)
			if code != c.code || !strings.Contains(stderr.String(), c.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, c.code, stderr.String(), c.want)
			}
		})
	}
}
