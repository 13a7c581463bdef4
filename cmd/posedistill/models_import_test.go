package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/export/ortnode"
	"github.com/posedistill/posedistill/internal/testkit"
)

// TestModelsImport imports BlazePose lite as a run with "models import", counts it with "models
// --net" and exports it with "export" (whose ONNX Runtime check runs when ONNX Runtime is
// installed), imports MoveNet MultiPose with its offset heads; bad uses fail with one clear line.
func TestModelsImport(t *testing.T) {
	cache := testkit.BlazePoseCache(t)
	dir := t.TempDir()
	runDir := filepath.Join(dir, "lite")
	cases := []struct {
		name     string
		args     []string
		code     int
		contains []string // in stdout, or in stderr for failures
	}{
		{"import", []string{"models", "import", "blazepose-lite", "--out", runDir, "--cache", cache}, 0, []string{"1.36M parameters", "39 heatmap channels"}},
		{"count", []string{"models", "--net", filepath.Join(runDir, "net.json"), "--input", "256x256"}, 0, []string{"blazepose-lite: 121 layers", "1.36M parameters"}},
		{"count at a size it refuses", []string{"models", "--net", filepath.Join(runDir, "net.json"), "--input", "200x200"}, 1, []string{"not a multiple of 256"}},
		{"again", []string{"models", "import", "blazepose-lite", "--out", runDir, "--cache", cache}, 1, []string{"already holds a run"}},
		{"no out", []string{"models", "import", "blazepose-lite"}, 2, []string{"--out is required"}},
		{"unknown model", []string{"models", "import", "blazepose-huge", "--out", filepath.Join(dir, "x"), "--cache", cache}, 1, []string{"want one of"}},
		{"multipose", []string{"models", "import", "movenet-multipose", "--codec", "movenet", "--out", filepath.Join(dir, "multipose"), "--cache", testkit.MoveNetCache(t)}, 0,
			[]string{"movenet-multipose:", "at 256x256, 17 heatmap channels, codec movenet"}},
		{"net and arch", []string{"models", "--net", filepath.Join(runDir, "net.json"), "--arch", "movnect"}, 2, []string{"--net goes without"}},
	}
	if _, err := ortnode.Find(); err == nil {
		cases = append(cases, struct {
			name     string
			args     []string
			code     int
			contains []string
		}{"export", []string{"export", "--model", runDir, "--onnx", filepath.Join(dir, "lite.onnx")}, 0, []string{"ONNX Runtime vs Go predictor, heatmaps"}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tc.args, &stdout, &stderr); code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, stderr.String())
			}
			out := stdout.String()
			if tc.code != 0 {
				out = stderr.String()
			}
			for _, s := range tc.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
		})
	}
}
