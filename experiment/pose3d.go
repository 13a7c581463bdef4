package experiment

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/gomlx/compute"

	"github.com/posedistill/posedistill/distill"
)

// run3D trains the 3D teacher (cached) and the 3D students with and without it, one per seed.
func run3D(ctx context.Context, e *Experiment, dataDir, cache string, be compute.Backend, opts RunnerOptions, clock *stageClock) (Run, []Run, error) {
	const boneWeight = 0.1
	clock.begin("3D teacher", e.t3d.Steps)
	tdir, tres, err := distill.EnsureTeacher(ctx, distill.TeacherSpec{Name: "teacher3d", Config: *e.t3d, Recipe: distill.Recipe{Pose3D: &distill.Pose3DTerms{BoneWeight: boneWeight}}, Data: e.Data}, dataDir, cache, be, opts.Progress)
	if err != nil {
		return Run{}, nil, fmt.Errorf("3D teacher: %w", err)
	}
	clock.end(e.t3d.Steps)
	tlat, err := distill.RunLatency(be, tdir, e.LatencyRuns)
	if err != nil {
		return Run{}, nil, err
	}
	trun := Run{Variant: "teacher3d", Seed: e.t3d.Seed, Dir: tdir, Result: tres, Latency: tlat}
	teacher, err := distill.LoadTeacher(tdir, be)
	if err != nil {
		return Run{}, nil, err
	}
	defer teacher.Close()
	var runs []Run
	for _, kd := range []bool{false, true} {
		name := "3d_gt"
		recipe := distill.Recipe{Pose3D: &distill.Pose3DTerms{BoneWeight: boneWeight}}
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
