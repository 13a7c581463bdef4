package experiment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
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
	// Scores are the run's ValScores (2D runs).
	Scores
}

// Scores are the keypoint diagnostics of a run's val predictions besides COCO AP.
type Scores struct {
	// PCK is the fraction of labelled val joints within 0.1 × the GT box's longer side: it
	// separates models whose COCO AP is still near zero.
	PCK float64 `json:"pck"`
	// Swap is the share of limb joints predicted nearer the opposite side's joint (eval.LeftRight):
	// 0.5 is a coin toss between left and right; −1 when no joint was judged (as COCO's −1).
	Swap float64 `json:"swap"`
	// Inversion is the share of limb joints predicted wrong for their own joint but right for the
	// opposite side's (eval.LeftRightStats.InversionRate); −1 when no joint was judged.
	Inversion float64 `json:"inversion"`
	// PerJoint is each COCO-17 joint's PCK@0.1 (NaN-free: −1 for a joint never labelled).
	PerJoint []float64 `json:"per_joint_pck,omitempty"`
	// PairSwap is the swap rate of each COCO-17 limb pair, in eval.LimbPairNames' order
	// (shoulder … ankle; −1 for a pair never judged).
	PairSwap []float64 `json:"pair_swap,omitempty"`
}

// ValScores returns the Scores of the predictions a run saved for the val split
// (RUN/val_results.json) against the split's ground truth gt.
func ValScores(gt *dataset.Dataset, runDir string) (Scores, error) {
	path := filepath.Join(runDir, train.ValResultsFile)
	results, err := dataset.ReadResults(path)
	if err != nil {
		return Scores{}, err
	}
	pairs, err := eval.PairResults(gt, results)
	if err != nil {
		return Scores{}, fmt.Errorf("%s: %w", path, err)
	}
	lr, err := eval.LeftRight(pairs, gt, eval.PCKConfig{Alpha: 0.1, Norm: eval.NormBox}) // its All.PCK is the PCK of every pair
	if err != nil {
		return Scores{}, fmt.Errorf("%s: %w", path, err)
	}
	sc := Scores{PCK: lr.All.PCK, Swap: lr.All.SwapRate, Inversion: lr.All.InversionRate, PerJoint: make([]float64, len(lr.PerJoint))}
	if math.IsNaN(sc.Swap) {
		sc.Swap, sc.Inversion = -1, -1
	}
	for i, v := range lr.PerJoint {
		sc.PerJoint[i] = v
		if math.IsNaN(v) {
			sc.PerJoint[i] = -1
		}
	}
	for _, p := range lr.ByPair {
		v := p.SwapRate
		if math.IsNaN(v) {
			v = -1
		}
		sc.PairSwap = append(sc.PairSwap, v)
	}
	return sc, nil
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
	if e.PretrainRun != "" {
		clock.all++
	} else if e.PretrainSteps > 0 {
		clock.all++
		clock.total += e.PretrainSteps
	}
	if e.s3d != nil {
		clock.all += 1 + 2*len(e.Seeds)
		clock.total += 2 * len(e.Seeds) * e.s3d.Steps
		if e.t3d != nil {
			clock.total += e.t3d.Steps
		}
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
		dir, res, resultsDir, err := e.ensureTeacher(ctx, tt.name, out.DataDir, cache, be, clock, opts)
		if err != nil {
			return nil, err
		}
		dirs[tt.name] = dir
		lat, err := distill.RunLatency(be, dir, e.LatencyRuns)
		if err != nil {
			return nil, err
		}
		sc, err := ValScores(valGT, resultsDir)
		if err != nil {
			return nil, err
		}
		out.Teachers = append(out.Teachers, Run{Variant: tt.name, Seed: res.Seed, Dir: dir, Result: res.Result, Latency: lat, Scores: sc})
		if teachers[tt.name], err = distill.LoadTeacher(dir, be); err != nil {
			return nil, err
		}
		if !opts.NoTeacherCache {
			// Variants sharing a seed see the same crops: read the teacher's outputs back
			// (BenchmarkTeacherOutputs: far cheaper than a forward pass).
			id, err := checkpointID(dir)
			if err != nil {
				return nil, err
			}
			cached[tt.name] = &distill.DiskCached{ID: id, Dir: filepath.Join(cache, "teacher_outputs", filepath.Base(dir)), Teacher: teachers[tt.name]}
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
			sc, err := ValScores(valGT, dir)
			if err != nil {
				return nil, err
			}
			out.Runs = append(out.Runs, Run{Variant: v, Seed: seed, Dir: dir, Result: res, Latency: lat, Scores: sc})
			if err := atomicfile.WriteJSON(filepath.Join(opts.OutDir, "results.json"), out); err != nil {
				return nil, err
			}
		}
	}
	if e.s3d != nil {
		t3, runs3, err := run3D(ctx, e, out.DataDir, valGT, cache, be, opts, clock)
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
	if e.PretrainRun != "" {
		dir := e.resolve(e.PretrainRun)
		clock.begin("evaluate the pretrained student "+dir, 0)
		evalDir := filepath.Join(opts.OutDir, "teachers", distill.PretrainName)
		res, err := distill.EvaluateRun(ctx, dir, out.DataDir, evalDir, be)
		if err != nil {
			return "", fmt.Errorf("pretrained student: %w", err)
		}
		clock.end(0)
		lat, err := distill.RunLatency(be, dir, e.LatencyRuns)
		if err != nil {
			return "", err
		}
		sc, err := ValScores(valGT, evalDir)
		if err != nil {
			return "", err
		}
		out.Teachers = append(out.Teachers, Run{Variant: distill.PretrainName, Dir: dir, Result: res, Latency: lat, Scores: sc})
		return train.RunCheckpoint(dir), nil
	}
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
	sc, err := ValScores(valGT, dir)
	if err != nil {
		return "", err
	}
	out.Teachers = append(out.Teachers, Run{Variant: distill.PretrainName, Seed: cfg.Seed, Dir: dir, Result: res, Latency: lat, Scores: sc})
	return filepath.Join(dir, train.CheckpointFile), nil
}

// trainedTeacher is a teacher of an experiment, trained by it or given as a run directory.
type trainedTeacher struct {
	distill.Result
	Seed uint64
}

// ensureTeacher returns the run directory of the primary or senior teacher, its result on the
// val split and the directory holding its val predictions: the given run (PrimaryRun, SeniorRun)
// evaluated on the experiment's data, else the teacher trained (or found in the cache) from its
// configuration.
func (e *Experiment) ensureTeacher(ctx context.Context, name, dataDir, cache string, be compute.Backend, clock *stageClock, opts RunnerOptions) (string, trainedTeacher, string, error) {
	run := e.PrimaryRun
	if name == distill.SeniorName {
		run = e.SeniorRun
	}
	if run != "" {
		dir := e.resolve(run)
		clock.begin("evaluate teacher "+name+" ("+dir+")", 0)
		evalDir := filepath.Join(opts.OutDir, "teachers", name)
		res, err := distill.EvaluateRun(ctx, dir, dataDir, evalDir, be)
		if err != nil {
			return "", trainedTeacher{}, "", fmt.Errorf("teacher %s: %w", name, err)
		}
		clock.end(0)
		return dir, trainedTeacher{Result: res}, evalDir, nil
	}
	spec := e.teacherSpec(name)
	clock.begin("teacher "+name, spec.Config.Steps)
	dir, res, err := distill.EnsureTeacher(ctx, spec, dataDir, cache, be, opts.Progress)
	if err != nil {
		return "", trainedTeacher{}, "", fmt.Errorf("teacher %s: %w", name, err)
	}
	clock.end(spec.Config.Steps)
	return dir, trainedTeacher{Result: res, Seed: spec.Config.Seed}, dir, nil
}

// checkpointID names a run's weights for the teacher-output cache: its directory and the SHA-256
// of the checkpoint it loads, so that retrained weights never read stale outputs.
func checkpointID(dir string) (string, error) {
	path := train.RunCheckpoint(dir)
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("teacher %s: %w", dir, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("teacher %s: %w", path, err)
	}
	return dir + "@" + hex.EncodeToString(h.Sum(nil)), nil
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
