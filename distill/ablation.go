package distill

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/train"
)

// Run is one trained model of an experiment.
type Run struct {
	Variant string  `json:"variant"`
	Seed    uint64  `json:"seed"`
	Dir     string  `json:"dir"`
	Result  Result  `json:"result"`
	Latency float64 `json:"latency_ms"` // median batch-1 inference on this machine
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
	cache, err := CacheDir(opts.CacheDir)
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
	var variants []Variant
	recipe := Recipe{Alpha: train.Constant(e.Alpha), Stages: Stages{Order: Ordered, PrimarySteps: e.PrimarySteps}, MaskWeight: e.MaskWeight, RestrictWeight: e.RestrictWeight}
	for _, name := range e.Variants {
		v, err := BuildVariant(name, recipe)
		if err != nil {
			return nil, err
		}
		needP, needS = needP || v.UsePrimary, needS || v.UseSenior
		variants = append(variants, v)
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
	teachers := map[string]*NetTeacher{}
	cached := map[string]*DiskCached{}
	use := func(name string) Teacher {
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
	for _, tt := range []struct {
		name string
		need bool
		cfg  train.Config
		mask bool
	}{{PrimaryName, needP, e.primary, false}, {SeniorName, needS, e.senior, true}} {
		if !tt.need {
			continue
		}
		net, err := tt.cfg.Net()
		if err != nil {
			return nil, err
		}
		terms := []train.Term{train.HeatmapMSE("heatmap_gt", nil)}
		if tt.mask {
			if net, err = WithMaskHead(net); err != nil {
				return nil, err
			}
			terms = append(terms, GTMaskBCE("mask_gt", train.Constant(e.MaskWeight)))
		}
		clock.begin("teacher "+tt.name, tt.cfg.Steps)
		dir, res, err := EnsureTeacher(ctx, TeacherSpec{Name: tt.name, Config: tt.cfg, Net: net, Terms: terms, Masks: tt.mask}, e.Data, out.DataDir, cache, be, opts.Progress)
		if err != nil {
			return nil, fmt.Errorf("teacher %s: %w", tt.name, err)
		}
		clock.end(tt.cfg.Steps)
		lat, err := latency(be, dir, net, tt.cfg, e.LatencyRuns)
		if err != nil {
			return nil, err
		}
		pck, err := ValPCK(valGT, dir)
		if err != nil {
			return nil, err
		}
		out.Teachers = append(out.Teachers, Run{Variant: tt.name, Seed: tt.cfg.Seed, Dir: dir, Result: res, Latency: lat, PCK: pck})
		if teachers[tt.name], err = LoadTeacher(dir, be); err != nil {
			return nil, err
		}
		if !opts.NoTeacherCache {
			// Variants sharing a seed see the same crops: read the teacher's outputs back
			// (BenchmarkTeacherOutputs: far cheaper than a forward pass).
			cached[tt.name] = &DiskCached{ID: dir, Dir: filepath.Join(cache, "teacher_outputs", filepath.Base(dir)), Teacher: teachers[tt.name]}
		}
	}
	initCkpt, err := pretrainStudent(ctx, e, out, valGT, cache, be, clock, opts)
	if err != nil {
		return nil, err
	}
	for _, v := range variants {
		for _, seed := range e.Seeds {
			cfg := e.student
			cfg.Seed = seed
			cfg.Name = fmt.Sprintf("%s-%s-s%d", e.student.Name, v.Name, seed)
			net, err := cfg.Net()
			if err != nil {
				return nil, err
			}
			if net, err = WithMaskHead(net); err != nil {
				return nil, err
			}
			var att []Attached
			bin := Binarization{Threshold: e.Binarize, Floor: DefaultBinarization().Floor}
			if v.UsePrimary {
				a := Attached{Name: PrimaryName, Teacher: use(PrimaryName)}
				if v.BinarizePrimary {
					a.Binarize = &bin
				}
				att = append(att, a)
			}
			if v.UseSenior {
				a := Attached{Name: SeniorName, Teacher: use(SeniorName)}
				if v.BinarizeSenior {
					a.Binarize = &bin
				}
				att = append(att, a)
			}
			dir := filepath.Join(opts.OutDir, "runs", fmt.Sprintf("%s-s%d", v.Name, seed))
			clock.begin(fmt.Sprintf("student %s, seed %d", v.Name, seed), cfg.Steps)
			// A rerun after an interruption reuses finished runs and resumes the interrupted one.
			res, err := TrainOnce(ctx, RunOptions{Config: cfg, Net: net, DataDir: out.DataDir, OutDir: dir, Terms: v.Terms, Teachers: att, Init: initCkpt, Backend: be, Progress: opts.Progress},
				v.Name, e.Alpha, e.Binarize, e.PrimarySteps, e.MaskWeight, e.RestrictWeight, teacherDirs(out.Teachers))
			if err != nil {
				return nil, fmt.Errorf("variant %s seed %d: %w", v.Name, seed, err)
			}
			clock.end(cfg.Steps)
			lat, err := latency(be, dir, net, cfg, e.LatencyRuns)
			if err != nil {
				return nil, err
			}
			pck, err := ValPCK(valGT, dir)
			if err != nil {
				return nil, err
			}
			out.Runs = append(out.Runs, Run{Variant: v.Name, Seed: seed, Dir: dir, Result: res, Latency: lat, PCK: pck})
			if err := writeJSON(filepath.Join(opts.OutDir, "results.json"), out); err != nil {
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
	if err := writeJSON(filepath.Join(opts.OutDir, "results.json"), out); err != nil {
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

// latency returns the median wall time of runs (0: 20) batch-1 inferences of a run's checkpoint,
// in milliseconds, after one warm-up call.
func latency(be compute.Backend, dir string, net *nets.Net, cfg train.Config, runs int) (float64, error) {
	if runs <= 0 {
		runs = 20
	}
	store := model.NewStore()
	if _, err := train.LoadCheckpoint(filepath.Join(dir, train.CheckpointFile), store, net); err != nil {
		return 0, err
	}
	p, err := nets.NewPredictor(be, store, net)
	if err != nil {
		return 0, err
	}
	defer p.Finalize()
	img := tensors.FromFlatDataAndDimensions(make([]float32, cfg.InputH*cfg.InputW*3), 1, cfg.InputH, cfg.InputW, 3)
	if _, err := p.Predict(img); err != nil {
		return 0, err
	}
	ts := make([]float64, runs)
	for i := range ts {
		t := time.Now()
		if _, err := p.Predict(img); err != nil {
			return 0, err
		}
		ts[i] = float64(time.Since(t).Microseconds()) / 1000
	}
	return median(ts), nil
}

// teacherDirs returns the run directories of teachers by name (what identifies their weights).
func teacherDirs(teachers []Run) map[string]string {
	dirs := make(map[string]string, len(teachers))
	for _, t := range teachers {
		dirs[t.Variant] = t.Dir
	}
	return dirs
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
	net, err := cfg.Net()
	if err != nil {
		return "", err
	}
	if net, err = WithMaskHead(net); err != nil {
		return "", err
	}
	clock.begin("pretrain the student on the GT", cfg.Steps)
	dir, res, err := EnsureTeacher(ctx, TeacherSpec{Name: PretrainName, Config: cfg, Net: net, Terms: []train.Term{train.HeatmapMSE("heatmap_gt", nil)}}, e.Data, out.DataDir, cache, be, opts.Progress)
	if err != nil {
		return "", fmt.Errorf("pretrain the student: %w", err)
	}
	clock.end(cfg.Steps)
	lat, err := latency(be, dir, net, cfg, e.LatencyRuns)
	if err != nil {
		return "", err
	}
	pck, err := ValPCK(valGT, dir)
	if err != nil {
		return "", err
	}
	out.Teachers = append(out.Teachers, Run{Variant: PretrainName, Seed: cfg.Seed, Dir: dir, Result: res, Latency: lat, PCK: pck})
	return filepath.Join(dir, train.CheckpointFile), nil
}
