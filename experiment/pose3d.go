package experiment

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/gomlx/compute"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/distill"
)

// terms3D returns the 3D terms of the experiment's 3D runs: the bone-length weight of MoVNect's
// recipe and the location-map weight of the zoo's 3D teacher (at weight 1 the location maps stayed
// near the mean pose: MPJPE 268 mm against the mean pose's 314; at 30, 173 mm after 1,000 more
// steps, zoo/README.md).
func terms3D() *distill.Pose3DTerms {
	return &distill.Pose3DTerms{BoneWeight: 0.1, LocationWeight: 30}
}

// run3D trains the 3D teacher (cached), or evaluates the given trained one (Teacher3DRun), and
// trains the 3D students with and without it, one per seed.
func run3D(ctx context.Context, e *Experiment, dataDir string, valGT *dataset.Dataset, cache string, be compute.Backend, opts RunnerOptions, clock *stageClock) (Run, []Run, error) {
	trun, err := ensureTeacher3D(ctx, e, dataDir, valGT, cache, be, opts, clock)
	if err != nil {
		return Run{}, nil, err
	}
	tdir := trun.Dir
	teacher, err := distill.LoadTeacher(tdir, be)
	if err != nil {
		return Run{}, nil, err
	}
	defer teacher.Close()
	var runs []Run
	for _, kd := range []bool{false, true} {
		name := "3d_gt"
		recipe := distill.Recipe{Pose3D: terms3D()}
		if kd {
			name = "3d_movnect"
			recipe.Teachers, recipe.Alpha = []distill.TeacherRef{{Name: "teacher3d", Run: tdir}}, e.Alpha
		}
		for _, seed := range e.Seeds {
			cfg := *e.s3d
			cfg.Seed = seed
			cfg.Name = fmt.Sprintf("%s-%s-s%d", cfg.Name, name, seed)
			dir := filepath.Join(opts.OutDir, "runs", fmt.Sprintf("%s-s%d", name, seed))
			clock.begin(fmt.Sprintf("3D student %s, seed %d", name, seed), cfg.Steps)
			res, err := distill.TrainOnce(ctx, distill.RunOptions{Config: cfg, Recipe: recipe, DataDir: dataDir, OutDir: dir, Teachers: map[string]distill.Teacher{"teacher3d": teacher}, Backend: be, Progress: opts.Progress})
			if err != nil {
				return Run{}, nil, fmt.Errorf("3D student %s seed %d: %w", name, seed, err)
			}
			clock.end(cfg.Steps)
			lat, err := distill.RunLatency(be, dir, e.LatencyRuns)
			if err != nil {
				return Run{}, nil, err
			}
			runs = append(runs, Run{Variant: name, Seed: seed, Dir: dir, Result: res, Latency: lat})
		}
	}
	return trun, runs, nil
}

// ensureTeacher3D returns the 3D teacher's run, scored on the val split (valGT): Teacher3DRun
// evaluated there, or the teacher trained from its configuration (found in the cache when trained
// before).
func ensureTeacher3D(ctx context.Context, e *Experiment, dataDir string, valGT *dataset.Dataset, cache string, be compute.Backend, opts RunnerOptions, clock *stageClock) (Run, error) {
	var (
		dir, resultsDir string
		res             distill.Result
		seed            uint64
		err             error
	)
	if e.t3d == nil {
		dir = e.resolve(e.Teacher3DRun)
		resultsDir = filepath.Join(opts.OutDir, "teachers", "teacher3d")
		clock.begin("evaluate 3D teacher ("+dir+")", 0)
		if res, err = distill.EvaluateRun(ctx, dir, dataDir, resultsDir, be); err != nil {
			return Run{}, fmt.Errorf("3D teacher: %w", err)
		}
		clock.end(0)
	} else {
		clock.begin("3D teacher", e.t3d.Steps)
		spec := distill.TeacherSpec{Name: "teacher3d", Config: *e.t3d, Recipe: distill.Recipe{Pose3D: terms3D()}, Data: e.Data}
		if dir, res, err = distill.EnsureTeacher(ctx, spec, dataDir, cache, be, opts.Progress); err != nil {
			return Run{}, fmt.Errorf("3D teacher: %w", err)
		}
		clock.end(e.t3d.Steps)
		seed, resultsDir = e.t3d.Seed, dir
	}
	lat, err := distill.RunLatency(be, dir, e.LatencyRuns)
	if err != nil {
		return Run{}, err
	}
	sc, err := ValScores(valGT, resultsDir)
	if err != nil {
		return Run{}, err
	}
	return Run{Variant: "teacher3d", Seed: seed, Dir: dir, Result: res, Latency: lat, Scores: sc}, nil
}
