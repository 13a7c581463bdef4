package distill

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// RunOptions configure Train: the hyper-parameters come from Config (LR schedule, batch,
// steps, augmentation, seed, codec, GT targets), the network from Net (which may carry location
// and mask heads that train.Config cannot describe).
type RunOptions struct {
	Config train.Config
	Net    *nets.Net
	// DataDir holds train.json and val.json ("posedistill synth"); OutDir receives train.Run's
	// run directory (config.json, net.json, checkpoints, metrics.jsonl, curves) and summary.json.
	DataDir, OutDir string
	// Terms is the loss (nil: the GT heatmap MSE).
	Terms []train.Term
	// Teachers run on every batch before its step (see Hook).
	Teachers []Attached
	// Masks and Locations add GT person masks and COCO-17 location maps to the batches; they are
	// or-ed into Config.Targets, which config.json records.
	Masks, Locations bool
	// Resume continues the run in OutDir from its checkpoint (with the same options, teachers
	// included, it ends with the same weights as an uninterrupted run).
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
	Name    string             `json:"name"`
	Steps   int                `json:"steps"`
	Loss    float64            `json:"loss"`
	Val     eval.COCOStats     `json:"val"`
	Elapsed float64            `json:"elapsed_s"`
	Params  int64              `json:"params"`
	FLOPs   int64              `json:"flops"`
	Pose3D  *eval.Pose3DResult `json:"pose3d,omitempty"`
}

// SummaryFile is the name of a run's result file.
const SummaryFile = "summary.json"

// SampleConfig returns the top-down configuration of cfg with GT masks and location maps when asked.
func SampleConfig(cfg train.Config, training, masks, locations bool) (topdown.Config, error) {
	return cfg.SampleConfigWith(training, train.TargetsConfig{Masks: masks, Locations: locations})
}

// Train trains opts.Net with the loss terms and teachers by train.Run (which validates it by
// COCO AP on the val split, checkpoints, logs and resumes), then evaluates 3D poses when the net
// has a location head and the run has location targets, and writes summary.json. Same options
// and seed give the same weights, interrupted and resumed or not.
func Train(ctx context.Context, opts RunOptions) (Result, error) {
	cfg := opts.Config
	res := Result{Name: cfg.Name}
	net := opts.Net
	if net == nil {
		return res, fmt.Errorf("train %s: no network", cfg.Name)
	}
	cfg.Targets.Masks = cfg.Targets.Masks || opts.Masks
	cfg.Targets.Locations = cfg.Targets.Locations || opts.Locations
	terms := opts.Terms
	if len(terms) == 0 {
		terms = []train.Term{train.HeatmapMSE("heatmap_gt", nil)}
	}
	be := opts.Backend
	if be == nil {
		var err error
		if be, err = backend.New(cfg.Backend); err != nil {
			return res, err
		}
		defer be.Finalize()
	}
	var before func(context.Context, int, *topdown.Batch) error
	if len(opts.Teachers) > 0 {
		before = Hook(opts.Teachers)
	}
	sum, err := train.Run(ctx, cfg, train.Options{
		DataDir: opts.DataDir, OutDir: opts.OutDir, Resume: opts.Resume, Overwrite: opts.Overwrite, Net: net, Init: opts.Init,
		Loss: &train.Loss{Terms: terms}, BeforeStep: before, Progress: opts.Progress,
		LogEvery: opts.LogEvery, Backend: be, StopAt: opts.StopAt,
	})
	res.Steps, res.Loss, res.Elapsed = sum.Steps, sum.Loss, sum.Elapsed.Seconds()
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
		p3, err := evaluate3DRun(ctx, be, net, cfg, opts)
		if err != nil {
			return res, err
		}
		res.Pose3D = &p3
	}
	return res, writeJSON(filepath.Join(opts.OutDir, SummaryFile), res)
}

// evaluate3DRun runs Evaluate3D with the final checkpoint of a run.
func evaluate3DRun(ctx context.Context, be compute.Backend, net *nets.Net, cfg train.Config, opts RunOptions) (eval.Pose3DResult, error) {
	store := model.NewStore()
	if _, err := train.LoadCheckpoint(filepath.Join(opts.OutDir, train.CheckpointFile), store, net); err != nil {
		return eval.Pose3DResult{}, err
	}
	p, err := nets.NewPredictor(be, store, net)
	if err != nil {
		return eval.Pose3DResult{}, err
	}
	defer p.Finalize()
	return Evaluate3D(ctx, p, cfg, opts.DataDir)
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.WriteBytes(path, append(b, '\n'))
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
