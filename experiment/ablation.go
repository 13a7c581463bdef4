package experiment

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/distill"

	"github.com/gomlx/compute"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/train"
)

// Run is one trained model of an experiment.
type Run struct {
	Variant string         `json:"variant"`
	Seed    uint64         `json:"seed"`
	Dir     string         `json:"dir"`
	Result  distill.Result `json:"result"`
	Latency float64        `json:"latency_ms"` // median batch-1 inference on this machine
	// PCK is the fraction of labelled val joints within 0.1 × the GT box's longer side (see
	// ValPCK): it separates models whose COCO AP is still near zero.
	PCK float64 `json:"pck"`
}

// ValPCK returns PCK@0.1 (box-normalised) of the predictions a run saved for the val split
// (RUN/val_results.json) against the split's ground truth gt.
func ValPCK(gt *dataset.Dataset, runDir string) (float64, error) {
	path := filepath.Join(runDir, train.ValResultsFile)
	results, err := dataset.ReadResults(path)
	if err != nil {
		return 0, err
	}
	pairs, err := eval.PairResults(gt, results)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	r, err := eval.PCK(pairs, eval.PCKConfig{Alpha: 0.1, Norm: eval.NormBox})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return r.PCK, nil
}

// Outcome is everything an experiment produced.
type Outcome struct {
	Name     string    `json:"name"`
	DataDir  string    `json:"data_dir"`
	Teachers []Run     `json:"teachers"`
	Runs     []Run     `json:"runs"`
	Rows     []Row     `json:"rows"`
	Elapsed  float64   `json:"elapsed_s"`
	Finished time.Time `json:"finished"`
}

// RunExperiment renders (or reuses) the data, trains (or reuses) the teachers, trains every
// variant with every seed, and writes results.json, table.md and ablation.png to opts.OutDir.
func RunExperiment(ctx context.Context, e *Experiment, opts RunnerOptions) (*Outcome, error) {
	t0 := time.Now()
	cache, err := distill.CacheDir(opts.CacheDir)
	if err != nil {
		return nil, err
	}
	be := opts.Backend
	if be == nil {
		if be, err = backend.New(e.student.Backend); err != nil {
			return nil, err
		}
		defer be.Finalize()
	}
	out := &Outcome{Name: e.Name}
	clock := &stageClock{w: opts.Progress, start: t0}
	needP, needS := false, false
	var variants []string
	for _, name := range e.Variants {
		// Which teachers the variant needs (their runs are not trained yet: placeholders).
		r, err := distill.VariantRecipe(name, e.variantParams("(primary run)", "(senior run)"))
		if err != nil {
			return nil, err
		}
		for _, t := range r.Teachers {
			needP, needS = needP || t.Name == distill.PrimaryName, needS || t.Name == distill.SeniorName
		}
		variants = append(variants, name)
	}
	clock.all = 1 + len(variants)*len(e.Seeds)
	clock.total = len(variants) * len(e.Seeds) * e.student.Steps
	if needP {
		clock.all++
		clock.total += e.primary.Steps
	}
	if needS {
		clock.all++
		clock.total += e.senior.Steps
	}
	if e.PretrainSteps > 0 {
		clock.all++
		clock.total += e.PretrainSteps
	}
	if e.t3d != nil {
		clock.all += 1 + 2*len(e.Seeds)
		clock.total += e.t3d.Steps + 2*len(e.Seeds)*e.s3d.Steps
	}
	clock.begin("render the synthetic dataset", 0)
	if out.DataDir, err = EnsureData(ctx, e.Data, cache, opts.Progress); err != nil {
		return nil, err
	}
	valGT, err := dataset.Read(ctx, filepath.Join(out.DataDir, "val.json"), dataset.ReadOptions{})
	if err != nil {
		return nil, err
	}
	teachers := map[string]*distill.NetTeacher{}
	cached := map[string]*distill.DiskCached{}
	use := func(name string) distill.Teacher {
		if c, ok := cached[name]; ok {
			return c
		}
		return teachers[name]
	}
	defer func() {
		for _, t := range teachers {
			t.Close()
		}
	}()
	dirs := map[string]string{}
	for _, tt := range []struct {
		name string
		need bool
	}{{distill.PrimaryName, needP}, {distill.SeniorName, needS}} {
		if !tt.need {
			continue
		}
		spec := e.teacherSpec(tt.name)
		clock.begin("teacher "+tt.name, spec.Config.Steps)
		dir, res, err := distill.EnsureTeacher(ctx, spec, out.DataDir, cache, be, opts.Progress)
		if err != nil {
			return nil, fmt.Errorf("teacher %s: %w", tt.name, err)
		}
		clock.end(spec.Config.Steps)
		dirs[tt.name] = dir
		lat, err := distill.RunLatency(be, dir, e.LatencyRuns)
		if err != nil {
			return nil, err
		}
		pck, err := ValPCK(valGT, dir)
		if err != nil {
			return nil, err
		}
		out.Teachers = append(out.Teachers, Run{Variant: tt.name, Seed: spec.Config.Seed, Dir: dir, Result: res, Latency: lat, PCK: pck})
		if teachers[tt.name], err = distill.LoadTeacher(dir, be); err != nil {
			return nil, err
		}
		if !opts.NoTeacherCache {
			// Variants sharing a seed see the same crops: read the teacher's outputs back
			// (BenchmarkTeacherOutputs: far cheaper than a forward pass).
			cached[tt.name] = &distill.DiskCached{ID: dir, Dir: filepath.Join(cache, "teacher_outputs", filepath.Base(dir)), Teacher: teachers[tt.name]}
		}
	}
	initCkpt, err := pretrainStudent(ctx, e, out, valGT, cache, be, clock, opts)
	if err != nil {
		return nil, err
	}
	for _, v := range variants {
		recipe, err := distill.VariantRecipe(v, e.variantParams(dirs[distill.PrimaryName], dirs[distill.SeniorName]))
		if err != nil {
			return nil, err
		}
		opened := map[string]distill.Teacher{}
		for _, t := range recipe.Teachers {
			opened[t.Name] = use(t.Name)
		}
		for _, seed := range e.Seeds {
			cfg := e.student
			cfg.Seed = seed
			cfg.Name = fmt.Sprintf("%s-%s-s%d", e.student.Name, v, seed)
			dir := filepath.Join(opts.OutDir, "runs", fmt.Sprintf("%s-s%d", v, seed))
			clock.begin(fmt.Sprintf("student %s, seed %d", v, seed), cfg.Steps)
			// A rerun after an interruption reuses finished runs and resumes the interrupted one.
			res, err := distill.TrainOnce(ctx, distill.RunOptions{Config: cfg, Recipe: recipe, DataDir: out.DataDir, OutDir: dir, Teachers: opened, Init: initCkpt, Backend: be, Progress: opts.Progress})
			if err != nil {
				return nil, fmt.Errorf("variant %s seed %d: %w", v, seed, err)
			}
			clock.end(cfg.Steps)
			lat, err := distill.RunLatency(be, dir, e.LatencyRuns)
			if err != nil {
				return nil, err
			}
			pck, err := ValPCK(valGT, dir)
			if err != nil {
				return nil, err
			}
			out.Runs = append(out.Runs, Run{Variant: v, Seed: seed, Dir: dir, Result: res, Latency: lat, PCK: pck})
			if err := atomicfile.WriteJSON(filepath.Join(opts.OutDir, "results.json"), out); err != nil {
				return nil, err
			}
		}
	}
	if e.t3d != nil {
		t3, runs3, err := run3D(ctx, e, out.DataDir, cache, be, opts, clock)
		if err != nil {
			return nil, err
		}
		out.Teachers = append(out.Teachers, t3)
		out.Runs = append(out.Runs, runs3...)
	}
	out.Rows = Aggregate(out.Runs)
	out.Elapsed = time.Since(t0).Seconds()
	out.Finished = time.Now().UTC()
	if err := atomicfile.WriteJSON(filepath.Join(opts.OutDir, "results.json"), out); err != nil {
		return nil, err
	}
	if err := WriteTable(filepath.Join(opts.OutDir, "table.md"), out); err != nil {
		return nil, err
	}
	if err := PlotAblation(filepath.Join(opts.OutDir, "ablation.png"), out); err != nil {
		return nil, err
	}
	return out, nil
}

// pretrainStudent trains (or reuses from the cache) the student on the GT alone for
// e.PretrainSteps, records it among the outcome's teachers as "pretrain", and returns its final
// checkpoint, from which every variant starts; without PretrainSteps it returns "".
func pretrainStudent(ctx context.Context, e *Experiment, out *Outcome, valGT *dataset.Dataset, cache string, be compute.Backend, clock *stageClock, opts RunnerOptions) (string, error) {
	if e.PretrainSteps <= 0 {
		return "", nil
	}
	cfg := e.student
	cfg.Name = e.student.Name + "-pretrain"
	cfg.Steps = e.PretrainSteps
	clock.begin("pretrain the student on the GT", cfg.Steps)
	dir, res, err := distill.EnsureTeacher(ctx, distill.TeacherSpec{Name: distill.PretrainName, Config: cfg, Recipe: distill.Recipe{MaskHead: true}, Data: e.Data}, out.DataDir, cache, be, opts.Progress)
	if err != nil {
		return "", fmt.Errorf("pretrain the student: %w", err)
	}
	clock.end(cfg.Steps)
	lat, err := distill.RunLatency(be, dir, e.LatencyRuns)
	if err != nil {
		return "", err
	}
	pck, err := ValPCK(valGT, dir)
	if err != nil {
		return "", err
	}
	out.Teachers = append(out.Teachers, Run{Variant: distill.PretrainName, Seed: cfg.Seed, Dir: dir, Result: res, Latency: lat, PCK: pck})
	return filepath.Join(dir, train.CheckpointFile), nil
}

// variantParams returns what the variants share, with the teachers' run directories.
func (e *Experiment) variantParams(primary, senior string) distill.VariantParams {
	return distill.VariantParams{Primary: primary, Senior: senior, Alpha: e.Alpha, Binarize: e.Binarize, Switch: e.PrimarySteps,
		MaskWeight: e.MaskWeight, RestrictWeight: e.RestrictWeight}
}

// teacherSpec returns the spec of the experiment's primary or senior teacher: the senior gets a
// mask head trained on the GT masks with the experiment's mask weight.
func (e *Experiment) teacherSpec(name string) distill.TeacherSpec {
	if name == distill.SeniorName {
		return distill.TeacherSpec{Name: name, Config: e.senior, Recipe: distill.Recipe{MaskHead: true, GTMaskWeight: e.MaskWeight}, Data: e.Data}
	}
	return distill.TeacherSpec{Name: name, Config: e.primary, Data: e.Data}
}
