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
	tdir := filepath.Join(tmp, "teacher")
	rec := Recipe{Teachers: []TeacherRef{{Name: "early", Run: tdir}, {Name: "late", Run: tdir}}, Alpha: 0.5, Order: Ordered, Switch: 4}
	run := func(out string, stopAt int, resume bool) Result {
		t.Helper()
		res, err := Train(ctx, RunOptions{Config: cfg, Recipe: rec, DataDir: dir, OutDir: out, Teachers: map[string]Teacher{"early": teacher, "late": teacher},
			StageTeachers: true, Backend: be, StopAt: stopAt, Resume: resume, LogEvery: 1})
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
	// Loss = ½·gt + ½·early up to step 4, ½·gt + ½·late from step 5 (0-based 4) on.
	for _, r := range recs {
		rest := r.Loss - 0.5*r.Terms["heatmap_gt"]
		want := 0.5 * r.Terms["heatmap_early"]
		if r.Step > 4 {
			want = 0.5 * r.Terms["heatmap_late"]
		}
		if math.Abs(rest-want) > 1e-5*r.Loss {
			t.Errorf("step %d: loss %v, terms %v: the late teacher's share is %v, want %v", r.Step, r.Loss, r.Terms, rest, want)
		}
	}
}

// TestEnsureTeacherResumes interrupts a cached teacher's training: EnsureTeacher resumes it and
// ends with the weights of an uninterrupted training, then reuses the finished run.
func TestEnsureTeacherResumes(t *testing.T) {
	ctx := context.Background()
	dir, be := testData(t), testBackend(t)
	cfg := tinyConfig("teacher", 0.25, 8)
	cfg.Steps, cfg.CheckpointEvery = 4, 0
	spec := TeacherSpec{Name: "t", Config: cfg}
	cache := t.TempDir()
	tdir, err := TeacherDir(spec, cache)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Train(ctx, RunOptions{Config: cfg, DataDir: dir, OutDir: tdir, Backend: be, StopAt: 2}); err != nil {
		t.Fatal(err)
	}
	whole := filepath.Join(t.TempDir(), "whole")
	if _, err := Train(ctx, RunOptions{Config: cfg, DataDir: dir, OutDir: whole, Backend: be}); err != nil {
		t.Fatal(err)
	}
	got, res, err := EnsureTeacher(ctx, spec, dir, cache, be, nil)
	if err != nil || got != tdir || res.Steps != cfg.Steps {
		t.Fatalf("EnsureTeacher: %s, %d steps, %v; want %s, %d steps", got, res.Steps, err, tdir, cfg.Steps)
	}
	if err := train.CompareCheckpoints(filepath.Join(whole, train.CheckpointFile), filepath.Join(tdir, train.CheckpointFile)); err != nil {
		t.Errorf("resumed teacher: %v", err)
	}
	again, res2, err := EnsureTeacher(ctx, spec, dir, cache, be, nil)
	if err != nil || again != tdir || res2 != res {
		t.Errorf("second EnsureTeacher: %s %+v %v, want the cached %s %+v", again, res2, err, tdir, res)
	}
}

// TestTrainOnce reruns an experiment's run directory: an interrupted run is resumed (ending with
// the weights of an uninterrupted one), a finished one is reused without training, and a changed
// recipe starts afresh in an emptied directory.
func TestTrainOnce(t *testing.T) {
	ctx := context.Background()
	dir, be := testData(t), testBackend(t)
	cfg := tinyConfig("once", 0.25, 8)
	cfg.Steps, cfg.CheckpointEvery = 4, 0
	tmp := t.TempDir()
	out := filepath.Join(tmp, "run")
	opts := RunOptions{Config: cfg, DataDir: dir, OutDir: out, Backend: be}
	interrupted := opts
	interrupted.StopAt = 2
	if r, err := TrainOnce(ctx, interrupted); err != nil || r.Steps != 2 {
		t.Fatalf("interrupted run: %d steps, %v", r.Steps, err)
	}
	first, err := TrainOnce(ctx, opts)
	if err != nil || first.Steps != cfg.Steps {
		t.Fatalf("resumed run: %d steps, %v", first.Steps, err)
	}
	whole := opts
	whole.OutDir = filepath.Join(tmp, "whole")
	if _, err := Train(ctx, whole); err != nil {
		t.Fatal(err)
	}
	if err := train.CompareCheckpoints(filepath.Join(whole.OutDir, train.CheckpointFile), filepath.Join(out, train.CheckpointFile)); err != nil {
		t.Errorf("resumed by TrainOnce: %v", err)
	}
	ckpt := filepath.Join(out, train.CheckpointFile)
	before, err := os.Stat(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	again, err := TrainOnce(ctx, opts)
	if err != nil || again != first {
		t.Errorf("rerun of a finished run: %+v, %v; want the saved %+v", again, err, first)
	}
	if after, err := os.Stat(ckpt); err != nil || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("rerun of a finished run rewrote its checkpoint (%v)", err)
	}
	stale := filepath.Join(out, "stale.txt")
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	opts.Recipe.MaskHead = true
	if r, err := TrainOnce(ctx, opts); err != nil || r.Steps != cfg.Steps {
		t.Fatalf("changed recipe: %d steps, %v", r.Steps, err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("a changed recipe trained over the old run directory without emptying it")
	}
}
