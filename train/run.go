package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	backends "github.com/posedistill/posedistill/backend"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend" // registers the "go" backend
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	gtrain "github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/progress"
	"github.com/posedistill/posedistill/rundir"
	"github.com/posedistill/posedistill/topdown"
)

// Files of a run directory.
const (
	ConfigFile     = "config.json"     // the resolved configuration
	CheckpointFile = "checkpoint.ckpt" // the latest checkpoint
	BestFile       = "best.ckpt"       // the checkpoint with the best validation AP
	MetricsFile    = "metrics.jsonl"   // one Record per line
	CurvesFile     = "curves.png"      // loss and AP curves
	ValResultsFile = "val_results.json"
	NetFile        = "net.json" // the network description (nets.Net) the run trains
)

// Options are a run's inputs besides its Config.
type Options struct {
	// DataDir holds train.json, val.json and the images ("posedistill synth --out DIR").
	DataDir string
	// OutDir is the run directory (created if missing).
	OutDir string
	// Resume continues from OutDir's checkpoint; otherwise a run starts from scratch. A resume
	// refuses a checkpoint of another run, a dataset whose train.json or val.json differ from the
	// run's, and a config that differs from the run's beyond steps, intervals, workers and backend.
	Resume bool
	// Overwrite starts a new run in an OutDir that holds one (its files are removed first);
	// without it (or Resume) such a folder is refused. See package rundir: the folder is locked
	// while the run lasts.
	Overwrite bool
	// SkipBadImages drops the instances of images that fail the up-front check (missing,
	// unreadable, another size than the dataset says, outside the dataset folder) with a warning
	// on Progress, instead of refusing the dataset.
	SkipBadImages bool
	// Net, when set, is the network to train instead of cfg.Net() (one with location-map or mask
	// heads, a pruned or factorized student, …). It is saved as OutDir/net.json, which LoadModel
	// and a resume without Net read back.
	Net *nets.Net
	// ModelFn, when set, builds the network in the training graph instead of nets.ModelFn(net),
	// e.g. with fake quantization for quantization-aware training (compress.QuantModelFn). It must
	// create net's variables under the same names; validation and saved checkpoints use net itself.
	// Outputs it returns after net's heads reach the loss terms as TermInputs.Out.Extra (feature
	// distillation's hint layers, for instance).
	ModelFn func(scope *model.Scope, images *graph.Node) []*graph.Node
	// Init, when set, is a checkpoint whose network variables initialise the network before step
	// 0 (fine-tuning; see InitWeights: shapes must match, optimizer state is not loaded). A
	// resumed run ignores it: its checkpoint holds everything.
	Init string
	// Loss is the training loss (nil: HeatmapLoss).
	Loss *Loss
	// Extend adds extra tensors to each training sample (teacher targets); see topdown.LoaderConfig.
	Extend func(ctx context.Context, s *topdown.Sample, inst topdown.Instance) error
	// BeforeStep, when set, runs on every training batch before step `step` (0-based) is taken,
	// e.g. to add teacher heatmaps computed on b.Images to b.Extra; it must be a deterministic
	// function of the step and the batch for resume to be exact.
	BeforeStep func(ctx context.Context, step int, b *topdown.Batch) error
	// Progress receives the progress bar (nil: none).
	Progress io.Writer
	// LogEvery is the interval in steps of the metrics log's loss records (0 means 10).
	LogEvery int
	// Backend overrides the configured backend (tests share one).
	Backend compute.Backend
	// StopAt, when positive, stops the run after that many steps as an interruption would (a
	// checkpoint is saved, Config.Steps and the schedule are unchanged): --resume continues it.
	StopAt int
	// NoValidation skips validation (and the best checkpoint).
	NoValidation bool
}

// Summary is what a finished run reports.
type Summary struct {
	Steps  int
	Loss   float64
	BestAP float64
	Val    *eval.COCOStats
	// ValPCK is the last validation's PCK@0.1 (box-normalised), ValSwap and ValInversion its
	// left/right swap and inversion rates of limb joints (eval.LeftRight).
	ValPCK, ValSwap, ValInversion float64
	Elapsed                       time.Duration
	ImgPerSec                     float64
	// StepTime is the part of Elapsed spent in training steps (the rest: waiting for data,
	// logging, checkpoints, validation); Steps·batch/StepTime is the run's bound in samples/s.
	StepTime time.Duration
}

// ErrNaN is wrapped by the error of a run whose loss became NaN or infinite.
var ErrNaN = errors.New("loss is not finite")

// Run trains cfg's network (or opts.Net) on opts.DataDir's train split, validating on its val
// split, writing checkpoints, the metrics log and the curves to opts.OutDir. The folder is locked
// for the run's duration (a second process is refused, naming this one) and a folder holding a
// run is refused unless opts.Resume or opts.Overwrite. The dataset's images are checked up front
// (headers only). A cancelled ctx saves a checkpoint and returns ctx's error; a non-finite loss
// stops the run with an error wrapping ErrNaN that says which checkpoint, if any, is kept.
func Run(ctx context.Context, cfg Config, opts Options) (sum Summary, err error) {
	if err := cfg.Validate(); err != nil {
		return sum, fmt.Errorf("config: %w", err)
	}
	rd, err := rundir.Open(opts.OutDir, rundir.Options{Resume: opts.Resume, Overwrite: opts.Overwrite, Markers: runMarkers})
	if err != nil {
		return sum, fmt.Errorf("run: %w", err)
	}
	defer rd.Release()
	dsPrint, err := fingerprintDataset(opts.DataDir)
	if err != nil {
		return sum, err
	}
	net, err := runNet(cfg, opts)
	if err != nil {
		return sum, err
	}
	loss := opts.Loss
	if loss == nil {
		c, err := cfg.NewCodec()
		if err != nil {
			return sum, fmt.Errorf("config: %w", err)
		}
		if err := checkMoveNetHeads(c, net); err != nil {
			return sum, err
		}
		loss = SupervisedLoss(c, cfg.DistWeight)
	}
	names, err := loss.Needs()
	if err != nil {
		return sum, err
	}
	trainSC, err := cfg.SampleConfig(true)
	if err != nil {
		return sum, err
	}
	evalSC, _ := cfg.SampleConfig(false)
	readTrain := ReadSplit
	if cfg.Targets.Locations {
		readTrain = ReadSplit3D
	}
	trainSplit, err := readTrain(ctx, opts.DataDir, "train.json")
	if err != nil {
		return sum, err
	}
	valSplit, err := ReadSplit(ctx, opts.DataDir, "val.json")
	if err != nil {
		return sum, err
	}
	for _, s := range []*Split{trainSplit, valSplit} {
		if err := checkSplitImages(ctx, s, opts.DataDir, opts.SkipBadImages, opts.Progress); err != nil {
			return sum, err
		}
	}
	backend := opts.Backend
	if backend == nil {
		if backend, err = backends.New(cfg.Backend); err != nil {
			return sum, err
		}
		defer backend.Finalize()
	}

	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(cfg.Seed))
	if cfg.ClipStep > 0 {
		store.SetParam(optimizer.ParamClipStepByValue, cfg.ClipStep)
	}
	ckptPath := filepath.Join(opts.OutDir, CheckpointFile)
	start, bestAP, lastLossAtStart := 0, -1.0, 0.0
	runID := ""
	// lastSaved is the step of the newest checkpoint on disk (-1: none yet).
	lastSaved := -1
	if opts.Resume {
		if _, err := os.Stat(ckptPath); errors.Is(err, os.ErrNotExist) {
			return sum, fmt.Errorf("resume %s: the run stopped before its first checkpoint, there is nothing to continue: start it again with --overwrite", opts.OutDir)
		}
		info, err := LoadCheckpoint(ckptPath, store, net)
		if err != nil {
			return sum, fmt.Errorf("resume: %w", err)
		}
		if err := sameTerms(info.Terms, loss); err != nil {
			return sum, fmt.Errorf("resume %s: %w", ckptPath, err)
		}
		if runID, err = checkResume(opts.OutDir, info, cfg, dsPrint); err != nil {
			return sum, err
		}
		start, bestAP = info.Step, info.BestAP
		// A validation started at the checkpoint's own step finishes after the checkpoint is saved
		// (it runs in the background): its best checkpoint, if any, holds its AP.
		if best, _, err := ReadCheckpoint(filepath.Join(opts.OutDir, BestFile)); err == nil && best.Step <= start && best.AP > bestAP {
			bestAP = best.AP
		}
		if start > cfg.Steps {
			return sum, fmt.Errorf("resume %s: the checkpoint is at step %d, beyond the %d steps asked", opts.OutDir, start, cfg.Steps)
		}
		lastSaved = start
		if !math.IsNaN(info.Loss) {
			lastLossAtStart = info.Loss
		}
	} else {
		// Nothing of an earlier run may survive into this one: its checkpoint goes first.
		if err := clearRun(opts.OutDir); err != nil {
			return sum, err
		}
		runID = newRunID()
		if err := writeJSON(filepath.Join(opts.OutDir, RunFile), runRecord{ID: runID, Started: time.Now().UTC().Round(time.Second), Dataset: dsPrint}); err != nil {
			return sum, err
		}
		if err := writeJSON(filepath.Join(opts.OutDir, ConfigFile), cfg); err != nil {
			return sum, err
		}
		if err := writeJSON(filepath.Join(opts.OutDir, NetFile), net); err != nil {
			return sum, err
		}
		if opts.Init != "" {
			if _, err := InitWeights(opts.Init, store, net, backend, cfg.InputH, cfg.InputW); err != nil {
				return sum, err
			}
		}
	}
	adam := optimizer.Adam().LearningRate(cfg.LR)
	if cfg.Optimizer == "adamw" {
		adam = adam.WeightDecay(cfg.WeightDecay)
	}
	modelFn := opts.ModelFn
	if modelFn == nil {
		modelFn = nets.ModelFn(net)
	}
	trainer := gtrain.NewTrainer(backend, store, modelFn, loss.graphFn(net, names), adam.Done(), loss.termMetrics(net, names), nil)
	lrVar := optimizer.LearningRateVarWithValue(store.RootScope(), dtypes.Float32, cfg.LR)

	loader, err := topdown.NewLoader(topdown.LoaderConfig{
		Sample: trainSC, BatchSize: cfg.BatchSize, Workers: max(1, cfg.Workers), Seed: cfg.Seed,
		Shuffle: true, DropLast: true, CacheBytes: 1 << 30, Extend: opts.Extend,
	}, trainSplit.Instances)
	if err != nil {
		return sum, err
	}
	spe := loader.StepsPerEpoch()
	it, err := loader.Start(ctx, start/spe, start%spe)
	if err != nil {
		return sum, err
	}
	defer it.Close()

	mlog, err := openMetricsLog(filepath.Join(opts.OutDir, MetricsFile), opts.Resume, start)
	if err != nil {
		return sum, err
	}
	defer mlog.close()
	logEvery := opts.LogEvery
	if logEvery <= 0 {
		logEvery = 10
	}

	// evaluate predicts on the val split with the weights in st and evaluates the results. It reads
	// only st and the run's fixed inputs, so it may run beside training (see startValidation).
	evaluate := func(ctx context.Context, st *model.Store) ([]dataset.Result, *eval.COCOReport, error) {
		// A fresh predictor each time: a nets.Predictor kept across training steps was seen to
		// return the outputs of the weights it first ran with.
		predictor, err := nets.NewPredictor(backend, st, net)
		if err != nil {
			return nil, nil, err
		}
		defer predictor.Finalize()
		return Validate(ctx, PredictorHeatmaps(predictor), evalSC, valSplit, cfg.BatchSize, cfg.FlipTest)
	}
	// record writes a validation's results, its metrics record and the summary's PCK and swap rate.
	record := func(step int, results []dataset.Result, rep *eval.COCOReport) (*eval.COCOStats, error) {
		if err := dataset.WriteResults(filepath.Join(opts.OutDir, ValResultsFile), results); err != nil {
			return nil, err
		}
		val := statsMap(rep.Stats)
		var err error
		if sum.ValPCK, sum.ValSwap, sum.ValInversion, err = leftRightScores(valSplit.Data, results); err != nil {
			return nil, err
		}
		for key, v := range map[string]float64{ValPCKKey: sum.ValPCK, ValSwapKey: sum.ValSwap, ValInversionKey: sum.ValInversion} {
			if !math.IsNaN(v) { // undefined without labelled joints; JSON has no NaN
				val[key] = v
			}
		}
		return &rep.Stats, mlog.write(Record{Step: step, Val: val})
	}

	bar := progress.New(opts.Progress, cfg.Steps-start, cfg.Name)
	t0 := time.Now()
	step, lastLoss := start, lastLossAtStart
	// saveStore writes st (the weights at step atStep, whose loss was lossAt) as a checkpoint.
	// The best checkpoint holds the network's weights only (no optimizer state): it is what
	// inference, teachers, --init and the zoo read, a third of the size; resuming reads ckptPath.
	saveStore := func(path string, st *model.Store, atStep int, lossAt, ap float64) error {
		if path != ckptPath {
			weights, err := net.Variables(st)
			if err != nil {
				return fmt.Errorf("checkpoint %s: %w", path, err)
			}
			st = weights
		}
		err := SaveCheckpoint(path, st, CheckpointInfo{Step: atStep, Net: net, Loss: lossAt, AP: ap, BestAP: bestAP, Terms: loss.names(), RunID: runID})
		if err == nil && path == ckptPath {
			lastSaved = atStep
		}
		return err
	}
	save := func(path string, ap float64) error { return saveStore(path, store, step, lastLoss, ap) }

	// Mid-run validations run in the background on a snapshot of the weights, so that training does
	// not wait for them (issue 17: each stopped training for about 3 s, mostly compiling a fresh
	// predictor). At most one runs at a time; finishing one records it and, when its AP is the best
	// yet, writes the best checkpoint from its snapshot. Every regular checkpoint is saved after the
	// validations of earlier steps are finished, so its best AP is the same as in a run that waits.
	var pending *backgroundValidation
	finish := func(wait bool) error {
		if pending == nil || (!wait && !pending.ready()) {
			return nil
		}
		p := pending
		pending = nil
		<-p.done
		if p.err != nil {
			return fmt.Errorf("step %d: validation: %w", p.step, p.err)
		}
		st, err := record(p.step, p.results, p.report)
		if err != nil {
			return fmt.Errorf("step %d: %w", p.step, err)
		}
		sum.Val = st
		if st.AP > bestAP {
			bestAP = st.AP
			if err := saveStore(filepath.Join(opts.OutDir, BestFile), p.store, p.step, p.loss, st.AP); err != nil {
				return err
			}
		}
		return nil
	}
	defer func() { // on every return: no validation outlives the run
		if pending != nil {
			<-pending.done
		}
	}()
	startValidation := func() error {
		snap, err := snapshotStore(store)
		if err != nil {
			return fmt.Errorf("step %d: validation: %w", step, err)
		}
		// Not cancelled with ctx: an interrupted run records the validation it started.
		pending = startBackgroundValidation(context.WithoutCancel(ctx), step, lastLoss, snap, evaluate)
		return nil
	}
	end := cfg.Steps
	if opts.StopAt > 0 && opts.StopAt < end {
		end = opts.StopAt
	}
	for step < end {
		b, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return sum, fmt.Errorf("step %d: data: %w", step, err)
		}
		if opts.BeforeStep != nil {
			if err := opts.BeforeStep(ctx, step, b); err != nil {
				return sum, fmt.Errorf("step %d: %w", step, err)
			}
		}
		labels, err := batchLabels(b, loss, names, step)
		if err != nil {
			return sum, fmt.Errorf("step %d: %w", step, err)
		}
		lr := cfg.LearningRate(step)
		if err := lrVar.SetValue(tensors.FromScalar(float32(lr))); err != nil {
			return sum, fmt.Errorf("step %d: learning rate: %w", step, err)
		}
		images := tensors.FromFlatDataAndDimensions(b.Images.Data, b.Images.Shape...)
		stepStart := time.Now()
		metrics, err := trainer.TrainStep(gtrain.Batch{Inputs: []*tensors.Tensor{images}, Labels: labels})
		sum.StepTime += time.Since(stepStart)
		if err != nil {
			return sum, fmt.Errorf("step %d: %w", step, err)
		}
		l, err := tensors.CopyFlatData[float32](metrics[0])
		if err != nil || len(l) == 0 {
			return sum, fmt.Errorf("step %d: reading the loss: %v", step, err)
		}
		if v := float64(l[0]); math.IsNaN(v) || math.IsInf(v, 0) {
			if lastSaved < 0 {
				return sum, fmt.Errorf("step %d: %w (%v, learning rate %g); stopped before any checkpoint was saved (checkpoint_every %d): lower lr and start again", step, ErrNaN, v, lr, cfg.CheckpointEvery)
			}
			return sum, fmt.Errorf("step %d: %w (%v, learning rate %g); stopped, the last good checkpoint %s (step %d) is kept", step, ErrNaN, v, lr, ckptPath, lastSaved)
		}
		lastLoss = float64(l[0])
		terms := make(map[string]float64, len(loss.Terms))
		for j, t := range loss.Terms {
			if 2+j < len(metrics) {
				if v, err := tensors.CopyFlatData[float32](metrics[2+j]); err == nil && len(v) > 0 {
					terms[t.Name] = float64(v[0])
				}
			}
		}
		step++
		bar.Add(1)
		ips := float64((step-start)*cfg.BatchSize) / time.Since(t0).Seconds()
		if step%logEvery == 0 || step == cfg.Steps {
			if err := mlog.write(Record{Step: step, Loss: lastLoss, Terms: terms, LR: lr, ImgPerSec: ips}); err != nil {
				return sum, err
			}
		}
		if err := finish(false); err != nil {
			return sum, err
		}
		if cfg.CheckpointEvery > 0 && step%cfg.CheckpointEvery == 0 && step < cfg.Steps {
			if err := finish(true); err != nil {
				return sum, err
			}
			if err := save(ckptPath, -1); err != nil {
				return sum, err
			}
		}
		if !opts.NoValidation && cfg.ValidateEvery > 0 && step%cfg.ValidateEvery == 0 && step < cfg.Steps {
			if err := finish(true); err != nil {
				return sum, err
			}
			if err := startValidation(); err != nil {
				return sum, err
			}
		}
	}
	if err := finish(true); err != nil {
		return sum, err
	}
	bar.Done()
	sum.Elapsed = time.Since(t0)
	if step > start {
		sum.ImgPerSec = float64((step-start)*cfg.BatchSize) / sum.Elapsed.Seconds()
	}
	sum.Steps, sum.Loss = step, lastLoss
	if ctx.Err() != nil {
		if err := save(ckptPath, -1); err != nil {
			return sum, errors.Join(ctx.Err(), err)
		}
		return sum, fmt.Errorf("interrupted at step %d (checkpoint saved): %w", step, ctx.Err())
	}
	if step < cfg.Steps || opts.NoValidation {
		return sum, save(ckptPath, -1)
	}
	results, rep, err := evaluate(ctx, store)
	if err != nil {
		return sum, fmt.Errorf("final validation: %w", err)
	}
	st, err := record(step, results, rep)
	if err != nil {
		return sum, fmt.Errorf("final validation: %w", err)
	}
	sum.Val = st
	if st.AP > bestAP {
		bestAP = st.AP
		if err := save(filepath.Join(opts.OutDir, BestFile), st.AP); err != nil {
			return sum, err
		}
	}
	sum.BestAP = bestAP
	if err := save(ckptPath, st.AP); err != nil {
		return sum, err
	}
	if err := PlotCurves(filepath.Join(opts.OutDir, MetricsFile), filepath.Join(opts.OutDir, CurvesFile), cfg.Name); err != nil {
		return sum, err
	}
	return sum, nil
}

// batchLabels returns the label tensors of a batch for loss: the term weights at step, then the
// needed tensors in order.
func batchLabels(b *topdown.Batch, loss *Loss, names []string, step int) ([]*tensors.Tensor, error) {
	w, err := loss.weightsAt(step)
	if err != nil {
		return nil, err
	}
	labels := []*tensors.Tensor{tensors.FromFlatDataAndDimensions(w, len(w))}
	for _, n := range names {
		t, err := batchTensor(b, n)
		if err != nil {
			return nil, err
		}
		labels = append(labels, tensors.FromFlatDataAndDimensions(t.Data, t.Shape...))
	}
	return labels, nil
}

// statsMap returns the COCO numbers by name for the metrics log.
// Keys of the validation record beside the COCO stats: PCK@0.1 normalised by the box's longer
// side, and the left/right swap and inversion rates of limb joints.
const (
	ValPCKKey       = "PCK@0.1"
	ValSwapKey      = "LRswap"
	ValInversionKey = "LRinversion"
)

// leftRightScores returns the PCK@0.1 (box-normalised) and the left/right swap and inversion
// rates of results on gt.
func leftRightScores(gt *dataset.Dataset, results []dataset.Result) (pck, swap, inversion float64, err error) {
	pairs, err := eval.PairResults(gt, results)
	if err != nil {
		return 0, 0, 0, err
	}
	lr, err := eval.LeftRight(pairs, gt, eval.PCKConfig{Alpha: 0.1, Norm: eval.NormBox})
	if err != nil {
		return 0, 0, 0, err
	}
	return lr.All.PCK, lr.All.SwapRate, lr.All.InversionRate, nil
}

func statsMap(s eval.COCOStats) map[string]float64 {
	return map[string]float64{
		"AP": s.AP, "AP50": s.AP50, "AP75": s.AP75, "APm": s.APm, "APl": s.APl,
		"AR": s.AR, "AR50": s.AR50, "AR75": s.AR75, "ARm": s.ARm, "ARl": s.ARl,
	}
}

// runNet returns the network a run trains: opts.Net, else on resume the run's net.json when it
// has one, else cfg.Net(); it must accept cfg's input size.
func runNet(cfg Config, opts Options) (*nets.Net, error) {
	net := opts.Net
	var err error
	if net == nil && opts.Resume {
		net, err = ReadRunNet(opts.OutDir, cfg)
	} else if net == nil {
		net, err = cfg.Net()
	}
	if err != nil {
		return nil, err
	}
	if _, err := net.Shapes(cfg.InputH, cfg.InputW); err != nil {
		return nil, fmt.Errorf("network %s at %dx%d: %w", net.Name, cfg.InputW, cfg.InputH, err)
	}
	return net, nil
}

// ReadRunNet returns the network of a run directory: its net.json, or for a run without one
// (written before net.json existed) cfg.Net().
func ReadRunNet(runDir string, cfg Config) (*nets.Net, error) {
	path := filepath.Join(runDir, NetFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cfg.Net()
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var net nets.Net
	if err := json.Unmarshal(b, &net); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(net.Layers) == 0 || net.Heads.Heatmaps == "" {
		return nil, fmt.Errorf("read %s: no network description", path)
	}
	return &net, nil
}

// writeJSON saves v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.WriteBytes(path, append(b, '\n'))
}

// ReadRunConfig reads the configuration a run saved in its directory.
//
// A run's network is its own net.json: a model.file the config names (written relative to where
// the run was launched, e.g. an imported model's runs/movenet-lightning/net.json) is read from
// the run's net.json instead when the run has one, so that a run loads from any directory and
// after being moved (a zoo model).
func ReadRunConfig(runDir string) (Config, error) {
	path := filepath.Join(runDir, ConfigFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return DefaultConfig(), fmt.Errorf("config %s: %w", path, err)
	}
	var raw map[string]any
	if json.Unmarshal(data, &raw) == nil {
		if m, ok := raw["model"].(map[string]any); ok && m["file"] != nil && m["file"] != "" {
			if own, err := filepath.Abs(filepath.Join(runDir, NetFile)); err == nil {
				if _, err := os.Stat(own); err == nil {
					m["file"] = own
					if data, err = json.Marshal(raw); err != nil {
						return DefaultConfig(), fmt.Errorf("config %s: %w", path, err)
					}
				}
			}
		}
	}
	cfg, err := ParseConfig(data, true)
	if err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}
