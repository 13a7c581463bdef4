package distill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/graft/hints"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/rundir"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// RunOptions configure Train: the hyper-parameters come from Config (LR schedule, batch,
// steps, augmentation, seed, codec, GT targets), the loss, teachers and heads from Recipe.
type RunOptions struct {
	Config train.Config
	// Recipe is how the run learns (see Recipe); Train saves it as OutDir/recipe.json.
	Recipe Recipe
	// Net is the network to train (nil: Recipe.Net(Config)), e.g. a pruned one.
	Net *nets.Net
	// DataDir holds train.json and val.json ("posedistill synth"); OutDir receives train.Run's
	// run directory (config.json, net.json, checkpoints, metrics.jsonl, curves), recipe.json and
	// summary.json.
	DataDir, OutDir string
	// Teachers are the recipe's teachers already opened, by name (e.g. behind a DiskCached);
	// Train opens the others itself (OpenTeacher) and closes them when it returns.
	Teachers map[string]Teacher
	// TeacherRecords, when set, caches what the teachers that see the original image
	// (RegionTeacher: imported models, runs trained here) say about each training person before
	// training (CacheRecords), and warps the records to each augmented crop; nil runs them on
	// every batch, each on its own crop of the original image (RegionHook).
	TeacherRecords *RecordCache
	// StageTeachers runs each of two ordered or reversed teachers only in its own stage (their
	// terms weigh nothing outside it, so the result is the same at half the teacher cost).
	StageTeachers bool
	// Resume continues the run in OutDir from its checkpoint (with the same options, teachers
	// included, it ends with the same weights as an uninterrupted run). The recipe must be the
	// one the run saved.
	Resume bool
	// Overwrite starts afresh in an OutDir that holds a run (train.Options.Overwrite).
	Overwrite bool
	// Init initialises the network from a checkpoint before step 0 (see train.Options.Init).
	Init string
	// StopAt, when positive, stops after that many steps as an interruption would (no
	// summary.json); Resume continues the run.
	StopAt int
	// Backend runs the graphs (nil: backend from Config).
	Backend compute.Backend
	// Progress receives a progress bar (nil: none).
	Progress io.Writer
	// LogEvery is the interval of metrics records (0 means 10).
	LogEvery int
}

// Result is what a finished Train run reports; it is also written to OutDir/summary.json. Elapsed
// is the training time of the call that finished the run (a resumed run's own part).
type Result struct {
	Name    string         `json:"name"`
	Steps   int            `json:"steps"`
	Loss    float64        `json:"loss"`
	Val     eval.COCOStats `json:"val"`
	Elapsed float64        `json:"elapsed_s"`
	// StepTime is the part of Elapsed spent in training steps (the rest: teachers, data, logging,
	// checkpoints, validation), and ImgPerSec the run's throughput over Elapsed.
	StepTime  float64            `json:"step_time_s"`
	ImgPerSec float64            `json:"img_per_s"`
	Params    int64              `json:"params"`
	FLOPs     int64              `json:"flops"`
	Pose3D    *eval.Pose3DResult `json:"pose3d,omitempty"`
}

// SummaryFile is the name of a run's result file.
const SummaryFile = "summary.json"

// SampleConfig returns the top-down configuration of cfg with GT masks and location maps when asked.
func SampleConfig(cfg train.Config, training, masks, locations bool) (topdown.Config, error) {
	return cfg.SampleConfigWith(training, train.TargetsConfig{Masks: masks, Locations: locations})
}

// Train trains the recipe's network (or opts.Net) with the recipe's loss terms and teachers by
// train.Run (which validates it by COCO AP on the val split, checkpoints, logs and resumes), then
// evaluates 3D poses when the net has a location head and the run has location targets, and
// writes summary.json. The run directory records the recipe (recipe.json) and the dataset
// (data.json). Same options and seed give the same weights, interrupted and resumed or not.
func Train(ctx context.Context, opts RunOptions) (Result, error) {
	cfg := opts.Config
	res := Result{Name: cfg.Name}
	rec := opts.Recipe
	terms, err := rec.Terms(cfg)
	if err != nil {
		return res, fmt.Errorf("train %s: %w", cfg.Name, err)
	}
	net := opts.Net
	if net == nil {
		if net, err = rec.Net(cfg); err != nil {
			return res, fmt.Errorf("train %s: %w", cfg.Name, err)
		}
	}
	tg := rec.Targets()
	cfg.Targets.Masks = cfg.Targets.Masks || tg.Masks
	cfg.Targets.Locations = cfg.Targets.Locations || tg.Locations
	// Lock the folder and refuse one that holds a run unless resumed or overwritten before the
	// recipe is written (train.Run re-enters the lock and checks the same).
	rd, err := rundir.Open(opts.OutDir, rundir.Options{Resume: opts.Resume, Overwrite: opts.Overwrite,
		Markers: []string{train.RunFile, train.ConfigFile, train.NetFile, train.CheckpointFile}})
	if err != nil {
		return res, fmt.Errorf("train %s: %w", cfg.Name, err)
	}
	defer rd.Release()
	if opts.Resume {
		if old, err := ReadRecipe(opts.OutDir); err == nil && !sameRecipe(old, rec) {
			return res, fmt.Errorf("train %s: --resume with another recipe than %s", cfg.Name, filepath.Join(opts.OutDir, RecipeFile))
		}
	}
	if !opts.Resume { // a new run: no result of an earlier one may survive into it
		if err := os.Remove(filepath.Join(opts.OutDir, SummaryFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return res, fmt.Errorf("train %s: %w", cfg.Name, err)
		}
	}
	if err := rec.Save(opts.OutDir); err != nil {
		return res, err
	}
	if err := saveDataDir(opts.OutDir, opts.DataDir); err != nil {
		return res, err
	}
	be := opts.Backend
	if be == nil {
		if be, err = backend.New(cfg.Backend); err != nil {
			return res, err
		}
		defer be.Finalize()
	}
	var before func(context.Context, int, *topdown.Batch) error
	if len(rec.Teachers) > 0 {
		sc, err := SampleConfig(cfg, true, false, false)
		if err != nil {
			return res, err
		}
		att, closeAll, err := attach(rec, opts.Teachers, opts.StageTeachers, be, sc)
		if err != nil {
			return res, fmt.Errorf("train %s: %w", cfg.Name, err)
		}
		defer closeAll()
		if before, err = teacherHook(ctx, att, opts, sc); err != nil {
			return res, fmt.Errorf("train %s: %w", cfg.Name, err)
		}
	}
	var modelFn func(*model.Scope, *graph.Node) []*graph.Node
	if rec.Hints != nil {
		set, err := hints.Read(rec.Hints.File)
		if err != nil {
			return res, fmt.Errorf("train %s: %w", cfg.Name, err)
		}
		ht, err := newHintTeacher(be, set, net, cfg.InputH, cfg.InputW)
		if err != nil {
			return res, fmt.Errorf("train %s: %w", cfg.Name, err)
		}
		defer ht.close()
		for i, h := range set.Hints {
			terms = append(terms, HintMSE(i, h, train.Constant(rec.Hints.Weight)))
		}
		modelFn = hintModelFn(net, set.Hints)
		before = chainHooks(before, ht.hook)
	}
	sum, err := train.Run(ctx, cfg, train.Options{
		DataDir: opts.DataDir, OutDir: opts.OutDir, Resume: opts.Resume, Overwrite: opts.Overwrite, Net: net, Init: opts.Init,
		Loss: &train.Loss{Terms: terms}, BeforeStep: before, ModelFn: modelFn, Progress: opts.Progress,
		LogEvery: opts.LogEvery, Backend: be, StopAt: opts.StopAt,
	})
	res.Steps, res.Loss, res.Elapsed = sum.Steps, sum.Loss, sum.Elapsed.Seconds()
	res.StepTime, res.ImgPerSec = sum.StepTime.Seconds(), sum.ImgPerSec
	if err != nil {
		return res, fmt.Errorf("train %s: %w", cfg.Name, err)
	}
	if sum.Steps < cfg.Steps {
		return res, nil // stopped early (StopAt): the run is resumable, not finished
	}
	if sum.Val != nil {
		res.Val = *sum.Val
	}
	res.Params = net.Params()
	if f, err := net.FLOPs(cfg.InputH, cfg.InputW); err == nil {
		res.FLOPs = f
	}
	if cfg.Targets.Locations && net.Heads.Locations != "" {
		p3, err := evaluate3DRun(ctx, be, net, cfg, opts.OutDir, opts.DataDir)
		if err != nil {
			return res, err
		}
		res.Pose3D = &p3
	}
	return res, atomicfile.WriteJSON(filepath.Join(opts.OutDir, SummaryFile), res)
}

// chainHooks returns a before-step hook that runs first (when set), then second.
func chainHooks(first, second func(context.Context, int, *topdown.Batch) error) func(context.Context, int, *topdown.Batch) error {
	if first == nil {
		return second
	}
	return func(ctx context.Context, step int, b *topdown.Batch) error {
		if err := first(ctx, step, b); err != nil {
			return err
		}
		return second(ctx, step, b)
	}
}

// evaluate3DRun runs Evaluate3D with the final checkpoint of a run.
func evaluate3DRun(ctx context.Context, be compute.Backend, net *nets.Net, cfg train.Config, outDir, dataDir string) (eval.Pose3DResult, error) {
	store := model.NewStore()
	if _, err := train.LoadCheckpoint(filepath.Join(outDir, train.CheckpointFile), store, net); err != nil {
		return eval.Pose3DResult{}, err
	}
	p, err := nets.NewPredictor(be, store, net)
	if err != nil {
		return eval.Pose3DResult{}, err
	}
	defer p.Finalize()
	return Evaluate3D(ctx, p, cfg, dataDir)
}

// ReadResult reads a run directory's summary.json.
func ReadResult(runDir string) (Result, error) {
	var r Result
	path := filepath.Join(runDir, SummaryFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return r, fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("read %s: %w", path, err)
	}
	return r, nil
}

// DataFile records, in a run directory, the dataset the run trains on (see ReadDataDir).
const DataFile = "data.json"

// saveDataDir records the run's dataset directory (absolute) in runDir/data.json.
func saveDataDir(runDir, dataDir string) error {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	return atomicfile.WriteJSON(filepath.Join(runDir, DataFile), map[string]string{"data_dir": abs})
}

// ReadDataDir returns the dataset directory a run recorded (Train writes it), so that the run
// directory alone is enough to resume or re-evaluate it.
func ReadDataDir(runDir string) (string, error) {
	path := filepath.Join(runDir, DataFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	var d struct {
		DataDir string `json:"data_dir"`
	}
	if err := json.Unmarshal(b, &d); err != nil || d.DataDir == "" {
		return "", fmt.Errorf("read %s: no data_dir (%v)", path, err)
	}
	return d.DataDir, nil
}
