package figures

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/train"
)

// TestPlotLossesShortRuns draws the loss curves of short runs, given as a run directory and as a
// metrics file: a single loss record under 1 (gonum widened its range below zero and its log
// ticks panicked) and a run with validation records only.
func TestPlotLossesShortRuns(t *testing.T) {
	dir := t.TempDir()
	one := filepath.Join(dir, "one")
	if err := os.MkdirAll(one, 0o755); err != nil {
		t.Fatal(err)
	}
	logs := map[string]string{
		filepath.Join(one, train.MetricsFile): `{"step":8,"loss":0.004,"terms":{"heatmap_gt":0.004}}` + "\n",
		filepath.Join(dir, "val.jsonl"):       `{"step":8,"val":{"AP":0.1}}` + "\n",
	}
	for p, s := range logs {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	png := filepath.Join(dir, "losses.png")
	runs := map[string]string{"one": one, "val": filepath.Join(dir, "val.jsonl")}
	if err := PlotLosses(png, runs, []string{"one", "val"}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(png); err != nil || st.Size() == 0 {
		t.Fatalf("no picture: %v", err)
	}
	runs["missing"] = filepath.Join(dir, "missing")
	if err := PlotLosses(png, runs, []string{"missing"}); err == nil {
		t.Error("a run without metrics: no error")
	}
}
