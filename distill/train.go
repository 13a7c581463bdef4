package distill

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	gtrain "github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/progress"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// RunOptions configure Train: the hyper-parameters come from Config (LR schedule, batch,
// steps, augmentation, seed, codec), the network from Net (which may carry location and mask
// heads that train.Config cannot describe).
type RunOptions struct {
	Config train.Config
	Net    *nets.Net
	// DataDir holds train.json and val.json ("posedistill synth"); OutDir receives config.json,
	// checkpoint.ckpt, metrics.jsonl and summary.json.
	DataDir, OutDir string
	// Terms is the loss (nil: the GT heatmap MSE).
	Terms []train.Term
	// Teachers run on every batch before its step (see Hook).
	Teachers []Attached
	// Masks asks the loader for GT person masks (train.TensorMasks); Locations for GT location
	// maps of the COCO-17 joints, rooted at Root3D (the 3D joints mapped from synth's H36MFace).
	Masks, Locations bool
	// Backend runs the graphs (nil: backend from Config).
	Backend compute.Backend
	// Progress receives a progress bar (nil: none).
	Progress io.Writer
	// LogEvery is the interval of metrics records (0 means 10).
	LogEvery int
}

// StepRecord is one line of a run's metrics.jsonl.
type StepRecord struct {
	Step  int                `json:"step"`
	Loss  float64            `json:"loss"`
	Terms map[string]float64 `json:"terms,omitempty"`
}

// Result is what a finished Train run reports; it is also written to OutDir/summary.json.
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
	sc, err := cfg.SampleConfig(training)
	if err != nil {
		return sc, err
	}
	sc.Mask = masks
	if locations {
		sc.Joints3D = skeleton.COCO17()
		sc.Root3D = Root3D
	}
	return sc, sc.Validate()
}

// Train trains opts.Net with the loss terms (and teachers) on the dataset, then validates it by
// COCO AP on the val split, and writes the run directory. Same options and seed give the same
// weights.
func Train(ctx context.Context, opts RunOptions) (Result, error) {
	cfg := opts.Config
	res := Result{Name: cfg.Name}
	if err := cfg.Validate(); err != nil {
		return res, fmt.Errorf("config: %w", err)
	}
	net := opts.Net
	if net == nil {
		return res, fmt.Errorf("train %s: no network", cfg.Name)
	}
	terms := opts.Terms
	if len(terms) == 0 {
		terms = []train.Term{train.HeatmapMSE("heatmap_gt", nil)}
	}
	names, err := (&train.Loss{Terms: terms}).Needs()
	if err != nil {
		return res, err
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return res, fmt.Errorf("run directory %s: %w", opts.OutDir, err)
	}
	cj, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return res, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(opts.OutDir, train.ConfigFile), append(cj, '\n')); err != nil {
		return res, err
	}
	trainSC, err := SampleConfig(cfg, true, opts.Masks, opts.Locations)
	if err != nil {
		return res, err
	}
	evalSC, err := SampleConfig(cfg, false, false, false)
	if err != nil {
		return res, err
	}
	trainSplit, err := readSplit(ctx, opts.DataDir, "train.json", opts.Locations)
	if err != nil {
		return res, err
	}
	valSplit, err := train.ReadSplit(ctx, opts.DataDir, "val.json")
	if err != nil {
		return res, err
	}
	backend := opts.Backend
	if backend == nil {
		if backend, err = newBackend(cfg.Backend); err != nil {
			return res, err
		}
		defer backend.Finalize()
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(cfg.Seed))
	adam := optimizer.Adam().LearningRate(cfg.LR)
	if cfg.Optimizer == "adamw" {
		adam = adam.WeightDecay(cfg.WeightDecay)
	}
	trainer := gtrain.NewTrainer(backend, store, nets.ModelFn(net), lossFn(net, terms, names), adam.Done(), nil, nil)
	lrVar := optimizer.LearningRateVarWithValue(store.RootScope(), dtypes.Float32, cfg.LR)
	loader, err := topdown.NewLoader(topdown.LoaderConfig{
		Sample: trainSC, BatchSize: cfg.BatchSize, Workers: max(1, cfg.Workers), Seed: cfg.Seed,
		Shuffle: true, DropLast: true, CacheBytes: 1 << 30,
	}, trainSplit.Instances)
	if err != nil {
		return res, err
	}
	it, err := loader.Start(ctx, 0, 0)
	if err != nil {
		return res, err
	}
	defer it.Close()
	hook := Hook(opts.Teachers)
	logEvery := opts.LogEvery
	if logEvery <= 0 {
		logEvery = 10
	}
	var records []StepRecord
	bar := progress.New(opts.Progress, cfg.Steps, cfg.Name)
	t0 := time.Now()
	var avg float64
	var inAvg int
	for step := 0; step < cfg.Steps; step++ {
		b, err := it.Next()
		if err != nil {
			return res, fmt.Errorf("%s step %d: data: %w", cfg.Name, step, err)
		}
		if len(opts.Teachers) > 0 {
			if err := hook(ctx, b); err != nil {
				return res, fmt.Errorf("%s step %d: %w", cfg.Name, step, err)
			}
		}
		labels, err := labelsOf(b, terms, names, step)
		if err != nil {
			return res, fmt.Errorf("%s step %d: %w", cfg.Name, step, err)
		}
		if err := lrVar.SetValue(tensors.FromScalar(float32(cfg.LearningRate(step)))); err != nil {
			return res, err
		}
		images := tensors.FromFlatDataAndDimensions(b.Images.Data, b.Images.Shape...)
		metrics, err := trainer.TrainStep(gtrain.Batch{Inputs: []*tensors.Tensor{images}, Labels: labels})
		if err != nil {
			return res, fmt.Errorf("%s step %d: %w", cfg.Name, step, err)
		}
		l, err := tensors.CopyFlatData[float32](metrics[0])
		if err != nil || len(l) == 0 {
			return res, fmt.Errorf("%s step %d: reading the loss: %v", cfg.Name, step, err)
		}
		v := float64(l[0])
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return res, fmt.Errorf("%s step %d: %w (%v)", cfg.Name, step, train.ErrNaN, v)
		}
		avg, inAvg = avg+v, inAvg+1
		if (step+1)%logEvery == 0 || step+1 == cfg.Steps {
			records = append(records, StepRecord{Step: step + 1, Loss: avg / float64(inAvg)})
			avg, inAvg = 0, 0
		}
		res.Loss = v
		bar.Add(1)
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
	bar.Done()
	res.Steps = cfg.Steps
	res.Elapsed = time.Since(t0).Seconds()
	if err := train.SaveCheckpoint(filepath.Join(opts.OutDir, train.CheckpointFile), store, train.CheckpointInfo{Step: cfg.Steps, Net: net, Loss: res.Loss}); err != nil {
		return res, err
	}
	if err := atomicfile.Write(filepath.Join(opts.OutDir, "metrics.jsonl"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, r := range records {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return res, err
	}
	predictor, err := nets.NewPredictor(backend, store, net)
	if err != nil {
		return res, err
	}
	defer predictor.Finalize()
	_, rep, err := train.Validate(ctx, train.PredictorHeatmaps(predictor), evalSC, valSplit, cfg.BatchSize, cfg.FlipTest)
	if err != nil {
		return res, err
	}
	res.Val = rep.Stats
	res.Params = net.Params()
	if f, err := net.FLOPs(cfg.InputH, cfg.InputW); err == nil {
		res.FLOPs = f
	}
	if opts.Locations && net.Heads.Locations != "" {
		p3, err := Evaluate3D(ctx, predictor, cfg, opts.DataDir)
		if err != nil {
			return res, err
		}
		res.Pose3D = &p3
	}
	return res, writeJSON(filepath.Join(opts.OutDir, SummaryFile), res)
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

// ReadSteps reads a run's metrics.jsonl (the path of the file or of its run directory).
func ReadSteps(path string) ([]StepRecord, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "metrics.jsonl")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var recs []StepRecord
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var r StepRecord
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// lossFn returns the GoMLX loss: labels are the term weights [T], then the needed tensors.
func lossFn(net *nets.Net, terms []train.Term, names []string) func(labels, predictions []*graph.Node) *graph.Node {
	return func(labels, predictions []*graph.Node) *graph.Node {
		out := nets.Outputs{Heatmaps: predictions[0]}
		i := 1
		if net.Heads.Locations != "" && i < len(predictions) {
			out.Locations = predictions[i]
			i++
		}
		if net.Heads.Mask != "" && i < len(predictions) {
			out.Mask = predictions[i]
		}
		in := train.TermInputs{Out: out, Tensors: map[string]*graph.Node{}}
		for j, n := range names {
			in.Tensors[n] = labels[1+j]
		}
		var total *graph.Node
		for j, t := range terms {
			v := graph.Reshape(graph.Mul(t.Build(in), graph.Slice(labels[0], graph.AxisElem(j))))
			if total == nil {
				total = v
			} else {
				total = graph.Add(total, v)
			}
		}
		return total
	}
}

// labelsOf returns the label tensors of a batch: the term weights at step, then the named tensors.
func labelsOf(b *topdown.Batch, terms []train.Term, names []string, step int) ([]*tensors.Tensor, error) {
	w := make([]float32, len(terms))
	for i, t := range terms {
		v := 1.0
		if t.Weight != nil {
			v = t.Weight(step)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("loss term %q: weight %v at step %d", t.Name, v, step)
		}
		w[i] = float32(v)
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

// batchTensor returns the named tensor of a batch (train's tensor names).
func batchTensor(b *topdown.Batch, name string) (topdown.Tensor, error) {
	var t topdown.Tensor
	switch name {
	case train.TensorHeatmaps:
		t = b.Heatmaps
	case train.TensorWeights:
		t = b.Weights
	case train.TensorLocationMaps:
		t = b.LocationMaps
	case train.TensorLocationWeights:
		t = b.LocationWeights
	case train.TensorMasks:
		t = b.Masks
	case train.TensorMaskWeights:
		t = b.MaskWeights
	default:
		if len(name) > len(train.ExtraPrefix) && name[:len(train.ExtraPrefix)] == train.ExtraPrefix {
			t = b.Extra[name[len(train.ExtraPrefix):]]
		}
	}
	if len(t.Data) == 0 {
		return t, fmt.Errorf("batch has no tensor %q", name)
	}
	return t, nil
}
