package train

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPlotCurvesFewRecords draws logs a short run leaves: one loss record under 1 (gonum widened
// its empty range below zero and its log ticks panicked), no loss at all, and a flat loss.
func TestPlotCurvesFewRecords(t *testing.T) {
	for _, tc := range []struct{ name, log string }{
		{"one record", `{"step":3,"loss":0.0021}` + "\n"},
		{"validation only", `{"step":3,"val":{"AP":0.5,"AR":0.6}}` + "\n"},
		{"flat", `{"step":1,"loss":1}` + "\n" + `{"step":2,"loss":1}` + "\n"},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			m := writeFile(t, dir, MetricsFile, tc.log)
			png := filepath.Join(dir, CurvesFile)
			if err := PlotCurves(m, png, "t"); err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(png); err != nil || st.Size() == 0 {
				t.Fatalf("no picture: %v", err)
			}
		})
	}
}
