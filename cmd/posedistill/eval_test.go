package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/internal/fixtures"
)

// evalTestCase returns the directory of a pycocotools reference case (see package fixtures).
func evalTestCase(t *testing.T, name string) string {
	t.Helper()
	return fixtures.Dir(t, "fixtures", "cocoeval", name)
}

// TestEvalCommandMatchesPycocotools runs "posedistill eval" on fixture cases and compares its
// printout with pycocotools' summary and its --json output with pycocotools' stats.
func TestEvalCommandMatchesPycocotools(t *testing.T) {
	keys := []string{"AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl"}
	for _, name := range []string{"tiny", "basic", "edge_allignored", "multicat"} {
		t.Run(name, func(t *testing.T) {
			dir := evalTestCase(t, name)
			out := filepath.Join(t.TempDir(), "stats.json")
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"eval", "--gt", filepath.Join(dir, "gt.json"),
				"--dt", filepath.Join(dir, "dt.json"), "--json", out}, &stdout, &stderr)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			var want struct {
				Stats       []float64 `json:"stats"`
				SummaryText []string  `json:"summary_text"`
			}
			b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(stdout.String(), strings.Join(want.SummaryText, "\n")+"\n") {
				t.Errorf("printout:\n%s\nwant it to start with:\n%s", stdout.String(), strings.Join(want.SummaryText, "\n"))
			}
			if !strings.Contains(stdout.String(), "left_wrist") {
				t.Errorf("printout lacks the per-keypoint table:\n%s", stdout.String())
			}
			var got map[string]float64
			b, err = os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(keys) {
				t.Errorf("--json has %d keys, want %d: %v", len(got), len(keys), got)
			}
			for i, k := range keys {
				if got[k] != want.Stats[i] {
					t.Errorf("%s = %v, want %v", k, got[k], want.Stats[i])
				}
			}
		})
	}
}

func TestEvalCommandErrors(t *testing.T) {
	dir := evalTestCase(t, "tiny")
	tmp := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gt := filepath.Join(dir, "gt.json")
	kps := strings.TrimSuffix(strings.Repeat("1,2,1,", 17), ",")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"missing --dt", []string{"--gt", gt}, 2, []string{"--gt and --dt are required"}},
		{"empty results", []string{"--gt", gt, "--dt", write("empty.json", "[]")}, 1,
			[]string{"empty.json", "no detections"}},
		{"unknown image", []string{"--gt", gt, "--dt", write("unknown.json",
			`[{"image_id":1,"category_id":1,"keypoints":[`+kps+`],"score":0.5},{"image_id":77,"category_id":1,"keypoints":[`+kps+`],"score":0.5}]`)}, 1,
			[]string{"unknown.json", "result 1", "image_id 77"}},
		{"wrong keypoint count", []string{"--gt", gt, "--dt", write("short.json",
			`[{"image_id":1,"category_id":1,"keypoints":[1,2,1,3,4,1],"score":0.5}]`)}, 1,
			[]string{"short.json", "result 0", "6 keypoint values, want 51"}},
		{"NaN coordinate", []string{"--gt", gt, "--dt", write("nan.json",
			`[{"image_id":1,"category_id":1,"keypoints":[NaN,`+kps[2:]+`],"score":0.5}]`)}, 1,
			[]string{"nan.json"}},
		{"bad sigmas", []string{"--gt", gt, "--dt", filepath.Join(dir, "dt.json"), "--sigmas", "0.1,x"}, 1,
			[]string{"--sigmas"}},
		{"sigma count", []string{"--gt", gt, "--dt", filepath.Join(dir, "dt.json"), "--sigmas", "0.1,0.2"}, 1,
			[]string{"annotation 0 (id 1", "51 keypoint values, want 6"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"eval"}, tc.args...), &stdout, &stderr)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.wantCode, stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q does not mention %q", stderr.String(), w)
				}
			}
		})
	}
}
