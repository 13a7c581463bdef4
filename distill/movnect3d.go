package distill

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/train"
)

// Net3D returns the network of a configuration with a location-map head: MoVNect (arch movnect)
// with Locations set, for the COCO-17 joints.
func Net3D(cfg train.Config) (*nets.Net, error) {
	if cfg.Model.Arch != "movnect" {
		return nil, fmt.Errorf("3D network: arch %q, want movnect", cfg.Model.Arch)
	}
	return nets.MoVNect(nets.MoVNectOptions{Width: cfg.Model.Width, HeadChannels: cfg.Model.HeadChannels, Joints: skeleton.COCO17().NumJoints(), Locations: true})
}

// Terms3D returns MoVNect's 3D student loss: the heatmap blend (α GT, 1−α teacher), the
// location-map loss against the GT (α) and teacher (1−α) maps, both masked by the GT heatmaps,
// and the bone-length loss with weight boneWeight. An empty teacher gives the GT-only loss (the
// teacher terms are left out, the GT terms weighted 1).
func Terms3D(teacher string, alpha train.Schedule, boneWeight float64) []train.Term {
	bones := skeleton.COCO17().Bones
	if teacher == "" {
		return []train.Term{
			train.HeatmapMSE("heatmap_gt", nil),
			LocationMapMSE("location_gt", train.TensorLocationMaps, nil),
			BoneLength("bone_length", bones, train.Constant(boneWeight)),
		}
	}
	if alpha == nil {
		alpha = train.Constant(0.5)
	}
	teach := func(step int) float64 { return 1 - alpha(step) }
	return []train.Term{
		train.HeatmapMSE("heatmap_gt", alpha),
		train.TeacherHeatmapMSE("heatmap_"+teacher, teacher+SuffixHeatmaps, teach),
		LocationMapMSE("location_gt", train.TensorLocationMaps, alpha),
		LocationMapMSE("location_"+teacher, train.ExtraPrefix+teacher+SuffixLocations, teach),
		BoneLength("bone_length", bones, train.Constant(boneWeight)),
	}
}

// run3D trains the 3D teacher (cached) and the 3D students with and without it, one per seed.
func run3D(ctx context.Context, e *Experiment, dataDir, cache string, be compute.Backend, opts RunnerOptions, clock *stageClock) (Run, []Run, error) {
	const boneWeight = 0.1
	clock.begin("3D teacher", e.t3d.Steps)
	tdir, tres, err := EnsureTeacher(ctx, TeacherSpec{Name: "teacher3d", Config: *e.t3d, Recipe: Recipe{Pose3D: &Pose3DTerms{BoneWeight: boneWeight}}, Data: e.Data}, dataDir, cache, be, opts.Progress)
	if err != nil {
		return Run{}, nil, fmt.Errorf("3D teacher: %w", err)
	}
	clock.end(e.t3d.Steps)
	tlat, err := latency(be, tdir, e.LatencyRuns)
	if err != nil {
		return Run{}, nil, err
	}
	trun := Run{Variant: "teacher3d", Seed: e.t3d.Seed, Dir: tdir, Result: tres, Latency: tlat}
	teacher, err := LoadTeacher(tdir, be)
	if err != nil {
		return Run{}, nil, err
	}
	defer teacher.Close()
	var runs []Run
	for _, kd := range []bool{false, true} {
		name := "3d_gt"
		recipe := Recipe{Pose3D: &Pose3DTerms{BoneWeight: boneWeight}}
		if kd {
			name = "3d_movnect"
			recipe.Teachers, recipe.Alpha = []TeacherRef{{Name: "teacher3d", Run: tdir}}, e.Alpha
		}
		for _, seed := range e.Seeds {
			cfg := *e.s3d
			cfg.Seed = seed
			cfg.Name = fmt.Sprintf("%s-%s-s%d", cfg.Name, name, seed)
			dir := filepath.Join(opts.OutDir, "runs", fmt.Sprintf("%s-s%d", name, seed))
			clock.begin(fmt.Sprintf("3D student %s, seed %d", name, seed), cfg.Steps)
			res, err := TrainOnce(ctx, RunOptions{Config: cfg, Recipe: recipe, DataDir: dataDir, OutDir: dir, Teachers: map[string]Teacher{"teacher3d": teacher}, Backend: be, Progress: opts.Progress})
			if err != nil {
				return Run{}, nil, fmt.Errorf("3D student %s seed %d: %w", name, seed, err)
			}
			clock.end(cfg.Steps)
			lat, err := latency(be, dir, e.LatencyRuns)
			if err != nil {
				return Run{}, nil, err
			}
			runs = append(runs, Run{Variant: name, Seed: seed, Dir: dir, Result: res, Latency: lat})
		}
	}
	return trun, runs, nil
}
