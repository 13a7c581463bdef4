package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/internal/fixtures"
)

// cocoFixtureRoot is where the pycocotools reference cases live (see package fixtures).
var cocoFixtureRoot = filepath.Join(fixtures.Root(), "fixtures", "cocoeval")

// cocoFixtureDirs lists the fixture cases, skipping the test when the fixtures are absent (failing
// it in CI).
func cocoFixtureDirs(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(cocoFixtureRoot)
	if os.IsNotExist(err) {
		fixtures.Missing(t, "pycocotools fixtures not found at %s (expected ../shared beside the repository, or $POSEDISTILL_SHARED)", cocoFixtureRoot)
	}
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		t.Fatalf("no fixture cases in %s", cocoFixtureRoot)
	}
	return dirs
}

// cocoReadJSON decodes a JSON file into v.
func cocoReadJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}

// cocoLoadCase reads a fixture's ground truth and results with LoadCOCO.
func cocoLoadCase(t testing.TB, dir string) (*dataset.Dataset, []dataset.Result) {
	t.Helper()
	gt, res, err := LoadCOCO(context.Background(), filepath.Join(dir, "gt.json"), filepath.Join(dir, "dt.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return gt, res
}

// cocoExpected is the part of expected.json the tests compare.
type cocoExpected struct {
	Stats       []float64       `json:"stats"`
	SummaryText []string        `json:"summary_text"`
	RecallTKAM  [][][][]float64 `json:"recall_TKAM"`
}

func TestCOCODefaultParamsMatchPycocotools(t *testing.T) {
	cocoFixtureDirs(t)
	var want struct {
		IoUThrs []float64    `json:"iouThrs"`
		RecThrs []float64    `json:"recThrs"`
		MaxDets []int        `json:"maxDets"`
		AreaRng [][2]float64 `json:"areaRng"`
		Labels  []string     `json:"areaRngLbl"`
		Sigmas  []float64    `json:"kpt_oks_sigmas"`
	}
	cocoReadJSON(t, filepath.Join(cocoFixtureRoot, "params.json"), &want)
	p := DefaultCOCOParams()
	tests := []struct {
		name      string
		got, want []float64
	}{
		{"OKSThresholds", p.OKSThresholds, want.IoUThrs},
		{"RecallThresholds", p.RecallThresholds, want.RecThrs},
		{"Sigmas", p.Sigmas, want.Sigmas},
	}
	for _, tc := range tests {
		if len(tc.got) != len(tc.want) {
			t.Errorf("%s: %d values, want %d", tc.name, len(tc.got), len(tc.want))
			continue
		}
		for i := range tc.got {
			if tc.got[i] != tc.want[i] { // bit for bit
				t.Errorf("%s[%d] = %v, want %v", tc.name, i, tc.got[i], tc.want[i])
			}
		}
	}
	if len(want.MaxDets) != 1 || p.MaxDets != want.MaxDets[0] {
		t.Errorf("MaxDets = %d, want %v", p.MaxDets, want.MaxDets)
	}
	if len(p.AreaRanges) != len(want.AreaRng) {
		t.Fatalf("%d area ranges, want %d", len(p.AreaRanges), len(want.AreaRng))
	}
	for i, r := range p.AreaRanges {
		if r.Label != want.Labels[i] || r.Min != want.AreaRng[i][0] || r.Max != want.AreaRng[i][1] {
			t.Errorf("area range %d = %+v, want %s %v", i, r, want.Labels[i], want.AreaRng[i])
		}
	}
}

// TestCOCOFixtures compares every case's ten stats, summary text, recall array, OKS matrices,
// precision array and per-image matchings with pycocotools'. Fixture quirk_gtid0 is reproduced
// as pycocotools computes it: a match to ground truth id 0 counts as unmatched (see cocoMatch).
func TestCOCOFixtures(t *testing.T) {
	for _, name := range cocoFixtureDirs(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(cocoFixtureRoot, name)
			gt, res := cocoLoadCase(t, dir)
			p := DefaultCOCOParams()
			e, err := NewCOCOEvaluator(gt, res, p)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := e.Evaluate(ctx); err != nil {
				t.Fatal(err)
			}
			acc, err := e.Accumulate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var want cocoExpected
			cocoReadJSON(t, filepath.Join(dir, "expected.json"), &want)

			stats := acc.Stats(p)
			got := stats.Values()
			if len(want.Stats) != len(got) {
				t.Fatalf("expected.json has %d stats", len(want.Stats))
			}
			maxDiff := 0.0
			for i := range got {
				maxDiff = max(maxDiff, math.Abs(got[i]-want.Stats[i]))
				if math.Abs(got[i]-want.Stats[i]) > 1e-12 {
					t.Errorf("stat %d = %.17g, want %.17g (diff %.3g)", i, got[i], want.Stats[i], got[i]-want.Stats[i])
				}
			}
			t.Logf("max |stat - pycocotools| = %.3g", maxDiff)
			if summary := stats.Summary(p); summary != strings.Join(want.SummaryText, "\n")+"\n" {
				t.Errorf("summary:\n%s\nwant:\n%s", summary, strings.Join(want.SummaryText, "\n"))
			}
			cocoCheckRecall(t, acc, want.RecallTKAM)
			cocoCheckOKS(t, e, dir)
			cocoCheckPrecision(t, acc, dir)
			cocoCheckImageEvals(t, e, dir)
		})
	}
}

func cocoCheckRecall(t *testing.T, acc *COCOAccumulation, want [][][][]float64) {
	t.Helper()
	if len(want) != acc.T {
		t.Fatalf("recall_TKAM has %d thresholds, want %d", len(want), acc.T)
	}
	for ti := range want {
		if len(want[ti]) != acc.K {
			t.Fatalf("recall_TKAM has %d categories, want %d", len(want[ti]), acc.K)
		}
		for k := range want[ti] {
			for a := range want[ti][k] {
				if g, w := acc.RecallAt(ti, k, a), want[ti][k][a][0]; math.Abs(g-w) > 1e-12 {
					t.Errorf("recall[%d][%d][%d] = %v, want %v", ti, k, a, g, w)
				}
			}
		}
	}
}

func cocoCheckOKS(t *testing.T, e *COCOEvaluator, dir string) {
	t.Helper()
	path := filepath.Join(dir, "ious.json")
	if _, err := os.Stat(path); err != nil {
		return
	}
	var ious map[string][][]float64
	var ids map[string]struct {
		DT []int64 `json:"dt_ids"`
		GT []int64 `json:"gt_ids"`
	}
	cocoReadJSON(t, path, &ious)
	cocoReadJSON(t, filepath.Join(dir, "ious_ids.json"), &ids)
	for key, want := range ious {
		var img int64
		var cat int
		if _, err := fmt.Sscanf(key, "%d,%d", &img, &cat); err != nil {
			t.Fatalf("ious.json key %q: %v", key, err)
		}
		got := e.OKS(img, cat)
		if !cocoEqualIDs(got.DetectionIDs, ids[key].DT) || !cocoEqualIDs(got.GroundTruthIDs, ids[key].GT) {
			t.Errorf("OKS %s: ids dt %v gt %v, want dt %v gt %v", key, got.DetectionIDs, got.GroundTruthIDs, ids[key].DT, ids[key].GT)
			continue
		}
		if len(got.Values) != len(want) {
			t.Errorf("OKS %s: %d rows, want %d", key, len(got.Values), len(want))
			continue
		}
		for i := range want {
			for j := range want[i] {
				if g, w := got.Values[i][j], want[i][j]; math.Abs(g-w) > 1e-12 {
					t.Errorf("OKS %s [%d][%d] = %.17g, want %.17g", key, i, j, g, w)
				}
			}
		}
	}
}

func cocoEqualIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func cocoCheckPrecision(t *testing.T, acc *COCOAccumulation, dir string) {
	t.Helper()
	path := filepath.Join(dir, "precision.json")
	if _, err := os.Stat(path); err != nil {
		return
	}
	var want struct {
		Precision [][][][][]float64 `json:"precision"`
	}
	cocoReadJSON(t, path, &want)
	if len(want.Precision) != acc.T || len(want.Precision[0]) != acc.R || len(want.Precision[0][0]) != acc.K {
		t.Fatalf("precision.json dims do not match T=%d R=%d K=%d", acc.T, acc.R, acc.K)
	}
	bad := 0
	for ti := range want.Precision {
		for r := range want.Precision[ti] {
			for k := range want.Precision[ti][r] {
				for a := range want.Precision[ti][r][k] {
					if g, w := acc.PrecisionAt(ti, r, k, a), want.Precision[ti][r][k][a][0]; math.Abs(g-w) > 1e-12 {
						if bad++; bad <= 5 {
							t.Errorf("precision[%d][%d][%d][%d] = %v, want %v", ti, r, k, a, g, w)
						}
					}
				}
			}
		}
	}
	if bad > 5 {
		t.Errorf("%d precision entries differ", bad)
	}
}

// cocoWantImageEval is one entry of eval_imgs.json.
type cocoWantImageEval struct {
	ImageID    int64      `json:"image_id"`
	CategoryID int        `json:"category_id"`
	ARng       [2]float64 `json:"aRng"`
	MaxDet     int        `json:"maxDet"`
	DtIDs      []int64    `json:"dtIds"`
	GtIDs      []int64    `json:"gtIds"`
	DtMatches  [][]int64  `json:"dtMatches"`
	GtMatches  [][]int64  `json:"gtMatches"`
	DtScores   []float64  `json:"dtScores"`
	GtIgnore   []int      `json:"gtIgnore"`
	DtIgnore   [][]int    `json:"dtIgnore"`
}

func cocoCheckImageEvals(t *testing.T, e *COCOEvaluator, dir string) {
	t.Helper()
	path := filepath.Join(dir, "eval_imgs.json")
	if _, err := os.Stat(path); err != nil {
		return
	}
	var want []cocoWantImageEval
	cocoReadJSON(t, path, &want)
	got := e.ImageEvals()
	if len(got) != len(want) {
		t.Fatalf("%d image evals, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		where := fmt.Sprintf("evalImgs[%d] (image %d, area %v)", i, w.ImageID, w.ARng)
		if g.ImageID != w.ImageID || g.CategoryID != w.CategoryID || g.AreaRange.Min != w.ARng[0] ||
			g.AreaRange.Max != w.ARng[1] || g.MaxDets != w.MaxDet {
			t.Errorf("%s: got image %d cat %d area %+v maxDets %d", where, g.ImageID, g.CategoryID, g.AreaRange, g.MaxDets)
			continue
		}
		if !cocoEqualIDs(g.DetectionIDs, w.DtIDs) || !cocoEqualIDs(g.GroundTruthIDs, w.GtIDs) {
			t.Errorf("%s: ids dt %v gt %v, want dt %v gt %v", where, g.DetectionIDs, g.GroundTruthIDs, w.DtIDs, w.GtIDs)
			continue
		}
		for d := range w.DtScores {
			if g.DetectionScores[d] != w.DtScores[d] {
				t.Errorf("%s: score %d = %v, want %v", where, d, g.DetectionScores[d], w.DtScores[d])
			}
		}
		for j, ig := range w.GtIgnore {
			if g.GroundTruthIgnore[j] != (ig != 0) {
				t.Errorf("%s: gtIgnore[%d] = %v, want %d", where, j, g.GroundTruthIgnore[j], ig)
			}
		}
		for ti := range w.DtMatches {
			if !cocoEqualIDs(g.DetectionMatches[ti], w.DtMatches[ti]) {
				t.Errorf("%s: dtMatches[%d] = %v, want %v", where, ti, g.DetectionMatches[ti], w.DtMatches[ti])
			}
			if !cocoEqualIDs(g.GroundTruthMatches[ti], w.GtMatches[ti]) {
				t.Errorf("%s: gtMatches[%d] = %v, want %v", where, ti, g.GroundTruthMatches[ti], w.GtMatches[ti])
			}
			for d, ig := range w.DtIgnore[ti] {
				if g.DetectionIgnore[ti][d] != (ig != 0) {
					t.Errorf("%s: dtIgnore[%d][%d] = %v, want %d", where, ti, d, g.DetectionIgnore[ti][d], ig)
				}
			}
		}
	}
}
