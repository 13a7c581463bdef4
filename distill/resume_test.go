package distill

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/train"
)

// TestDistillResumesBitForBit distills a student from a teacher for 6 steps in one go, and again
// as 3 steps, an interruption and a resumed run: both end with bit-identical variables (weights,
// batch-norm statistics, Adam moments). A second, staged teacher only runs from step 4 on, after
// the interruption, so the resumed run must tell it the true step (a call counter restarts at 0).
func TestDistillResumesBitForBit(t *testing.T) {
	ctx := context.Background()
	dir, be := testData(t), testBackend(t)
	tmp := t.TempDir()
	tcfg := tinyConfig("teacher", 0.25, 8)
	tcfg.Steps = 4
	teacher := trainTeacher(t, tcfg, filepath.Join(tmp, "teacher"))

	cfg := tinyConfig("student", 0.25, 8)
	cfg.Steps, cfg.CheckpointEvery, cfg.ValidateEvery = 6, 0, 0
	net, err := cfg.Net()
	if err != nil {
		t.Fatal(err)
	}
	stages := Stages{Order: Ordered, PrimarySteps: 4}
	terms := append(HeatmapTerms("heatmap_teacher", "teacher"+SuffixHeatmaps, train.Constant(0.5)),
		train.TeacherHeatmapMSE("heatmap_late", "late"+SuffixHeatmaps, Gated(train.Constant(0.5), stages.Senior())))
	run := func(out string, stopAt int, resume bool) Result {
		t.Helper()
		teachers := []Attached{
			{Name: "teacher", Teacher: teacher},
			{Name: "late", Teacher: &stagedTeacher{Teacher: teacher, active: stages.Senior(), joints: 17}},
		}
		res, err := Train(ctx, RunOptions{Config: cfg, Net: net, DataDir: dir, OutDir: out, Terms: terms, Teachers: teachers,
			Backend: be, StopAt: stopAt, Resume: resume, LogEvery: 1})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	whole, split := filepath.Join(tmp, "whole"), filepath.Join(tmp, "split")
	want := run(whole, 0, false)
	if got := run(split, 3, false); got.Steps != 3 {
		t.Fatalf("interrupted run: %d steps, want 3", got.Steps)
	}
	if _, err := os.Stat(filepath.Join(split, SummaryFile)); err == nil {
		t.Errorf("an interrupted run wrote %s", SummaryFile)
	}
	got := run(split, 0, true)
	if err := train.CompareCheckpoints(filepath.Join(whole, train.CheckpointFile), filepath.Join(split, train.CheckpointFile)); err != nil {
		t.Errorf("interrupt + resume: %v", err)
	}
	if got.Steps != want.Steps || got.Loss != want.Loss || got.Val != want.Val {
		t.Errorf("resumed result %+v, uninterrupted %+v", got, want)
	}
	recs, err := train.ReadRecords(filepath.Join(split, train.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	// Loss = ½·gt + ½·teacher, plus ½·late from step 5 (0-based 4) on.
	for _, r := range recs {
		rest := r.Loss - 0.5*r.Terms["heatmap_gt"] - 0.5*r.Terms["heatmap_teacher"]
		want := 0.0
		if r.Step > 4 {
			want = 0.5 * r.Terms["heatmap_late"]
		}
		if math.Abs(rest-want) > 1e-5*r.Loss {
			t.Errorf("step %d: loss %v, terms %v: the late teacher's share is %v, want %v", r.Step, r.Loss, r.Terms, rest, want)
		}
	}
}
