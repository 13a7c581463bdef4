// Package study compresses a trained run in every way a config lists and measures each variant
// (Run, behind "posedistill compress"), and reports the measurements: a Markdown table, JSON,
// the Pareto front and its plots. The compression methods themselves are package compress.
package study

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/atomicfile"
	backends "github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/compress"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/export/ortnode"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
	"gopkg.in/yaml.v3"
)

// Config lists the variants a study measures (configs/compress_movnect.yaml).
type Config struct {
	// LatencyRuns is the number of timed batch-1 inferences per variant on the go backend.
	LatencyRuns int `yaml:"latency_runs"`
	// ORTIterations is the number of timed batch-1 runs per variant in ONNX Runtime.
	ORTIterations int `yaml:"ort_iterations"`
	// BatchSize is the validation batch size (0: the run's).
	BatchSize int `yaml:"batch_size"`
	// Quantize lists weight formats: f16, int8, int4 (per output channel, symmetric).
	Quantize []compress.Format `yaml:"quantize"`
	// Prune removes output channels (structured pruning) at each ratio.
	Prune struct {
		Ratios      []float64 `yaml:"ratios"`
		Multiple    int       `yaml:"multiple"`
		MinChannels int       `yaml:"min_channels"`
		Criterion   string    `yaml:"criterion"` // bn_scale or l1
		Global      bool      `yaml:"global"`
	} `yaml:"prune"`
	// LowRank factorizes every dense conv keeping each energy fraction of Σσ².
	LowRank struct {
		Energies []float64 `yaml:"energies"`
	} `yaml:"low_rank"`
	// Sparsity zeroes that fraction of each layer's weights (unstructured magnitude pruning).
	Sparsity []float64 `yaml:"sparsity"`
	// PTQ quantizes activations after training (uint8 per tensor, after every layer and at the
	// input) on top of int8 weights, with ranges calibrated on crops of the training split: one
	// variant by min/max and one per percentile.
	PTQ struct {
		CalibrationCrops int       `yaml:"calibration_crops"` // 0: no PTQ variants
		Percentiles      []float64 `yaml:"percentiles"`
		Seed             uint64    `yaml:"seed"`
	} `yaml:"ptq"`
	// FineTune fine-tunes the listed pruned or factorized variants with train.Run, with the
	// uncompressed network as teacher (distillation term weighted 1 − Alpha, ground truth Alpha).
	FineTune struct {
		Steps    int      `yaml:"steps"` // 0: no fine-tuned variants
		LR       float64  `yaml:"lr"`    // 0: a tenth of the run's
		Alpha    float64  `yaml:"alpha"`
		Variants []string `yaml:"variants"`
		// QAT lists PTQ variants to fine-tune quantization-aware (the original's weights under the
		// variant's activation ranges, fake-quantized int8 weights, straight-through gradients).
		QAT []string `yaml:"qat"`
		// QATTrainBN trains batch norm on batch statistics during QAT; by default its running
		// statistics are frozen (compress.QuantSpec.FreezeBN).
		QATTrainBN bool `yaml:"qat_train_bn"`
		// QATLR is the QAT learning rate (0: as LR).
		QATLR float64 `yaml:"qat_lr"`
	} `yaml:"finetune"`
}

// ReadConfig reads and checks a study config (YAML, unknown keys rejected).
func ReadConfig(path string) (Config, error) {
	var c Config
	data, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, fmt.Errorf("read %s: %w", path, err)
	}
	if c.LatencyRuns <= 0 {
		c.LatencyRuns = 10
	}
	if c.ORTIterations <= 0 {
		c.ORTIterations = 20
	}
	if c.Prune.Criterion == "" {
		c.Prune.Criterion = "bn_scale"
	}
	if c.Prune.Criterion != "bn_scale" && c.Prune.Criterion != "l1" {
		return c, fmt.Errorf("read %s: prune criterion %q (want bn_scale or l1)", path, c.Prune.Criterion)
	}
	for _, f := range c.Quantize {
		if f != compress.Float16 && f != compress.Int8 && f != compress.Int4 {
			return c, fmt.Errorf("read %s: quantize format %q (want f16, int8 or int4)", path, f)
		}
	}
	for _, r := range c.Prune.Ratios {
		if !(r >= 0 && r < 1) {
			return c, fmt.Errorf("read %s: prune ratio %g outside [0, 1)", path, r)
		}
	}
	for _, e := range c.LowRank.Energies {
		if !(e > 0 && e <= 1) {
			return c, fmt.Errorf("read %s: low-rank energy %g outside (0, 1]", path, e)
		}
	}
	for _, s := range c.Sparsity {
		if !(s >= 0 && s <= 1) {
			return c, fmt.Errorf("read %s: sparsity %g outside [0, 1]", path, s)
		}
	}
	if c.PTQ.CalibrationCrops < 0 {
		return c, fmt.Errorf("read %s: ptq calibration_crops %d", path, c.PTQ.CalibrationCrops)
	}
	for _, p := range c.PTQ.Percentiles {
		if !(p > 50 && p <= 100) {
			return c, fmt.Errorf("read %s: ptq percentile %g outside (50, 100]", path, p)
		}
	}
	ft := c.FineTune
	if ft.Steps < 0 || !(ft.LR >= 0) || !(ft.QATLR >= 0) || !(ft.Alpha >= 0 && ft.Alpha <= 1) {
		return c, fmt.Errorf("read %s: finetune steps %d, lr %g, qat_lr %g, alpha %g (want steps ≥ 0, lr ≥ 0, alpha in [0, 1])", path, ft.Steps, ft.LR, ft.QATLR, ft.Alpha)
	}
	return c, nil
}

// Options configure Run.
type Options struct {
	// RunDir is the trained run to compress (train.LoadTrained), DataDir the dataset whose val
	// split is evaluated (and whose train split calibrates PTQ and fine-tunes), OutDir receives
	// variants/, compress.md, compress.json, pareto.png, agreement.png, calibration.json and
	// finetune/.
	RunDir, DataDir, OutDir string
	Config                  Config
	// Progress receives the fine-tuning progress bars (nil: none).
	Progress io.Writer
}

// Run measures a trained run compressed in every way its config lists: each variant's file size,
// parameters, non-zeros, FLOPs, batch-1 latency on the go backend and in ONNX Runtime (when
// ortnode finds it), COCO AP on val and agreement AP with the original, and writes the report,
// the table and the plots to OutDir.
func Run(ctx context.Context, o Options) (*Report, error) {
	cc := o.Config
	run, err := train.LoadTrained(o.RunDir)
	if err != nil {
		return nil, err
	}
	cfg, net, store := run.Config, run.Net, run.Store
	split, err := train.ReadSplit(ctx, o.DataDir, "val.json")
	if err != nil {
		return nil, err
	}
	vdir := filepath.Join(o.OutDir, "variants")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return nil, err
	}
	be, err := backends.New("go")
	if err != nil {
		return nil, err
	}
	defer be.Finalize()
	runner, err := ortnode.Find()
	if err != nil && !errors.Is(err, ortnode.ErrUnavailable) {
		return nil, err
	}
	rep := &Report{Model: cfg.Name + " (" + o.RunDir + ")", Data: split.Path}
	if runner == nil {
		rep.Notes = append(rep.Notes, "ONNX Runtime not available (scripts/setup-onnxruntime): no ONNX latency")
	}
	m := &measurer{be: be, runner: runner, cfg: cfg, cc: cc, split: split, dir: vdir}
	variants, err := buildVariants(ctx, cc, net, store)
	if err != nil {
		return nil, err
	}
	ptq, err := ptqVariants(ctx, be, cc, cfg, o.DataDir, net, store, o.OutDir)
	if err != nil {
		return nil, err
	}
	tuned, err := fineTuneVariants(ctx, be, cc, cfg, o.DataDir, net, store, append(slices.Clone(variants), ptq...), filepath.Join(o.OutDir, "finetune"), o.Progress)
	if err != nil {
		return nil, err
	}
	variants = append(append(variants, ptq...), tuned...)
	defer m.finalize()
	for _, v := range variants {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		row, err := m.measure(ctx, v)
		if err != nil {
			return nil, fmt.Errorf("variant %s: %w", v.name, err)
		}
		rep.Rows = append(rep.Rows, row)
	}
	if err := m.latencies(ctx, rep.Rows); err != nil {
		return nil, err
	}
	if err := rep.Finish(); err != nil {
		return nil, err
	}
	for _, w := range []struct {
		name  string
		write func(string) error
	}{{"compress.md", rep.WriteMarkdown}, {"compress.json", rep.WriteJSON}, {"pareto.png", func(p string) error { return PlotPareto(p, rep) }},
		{"agreement.png", func(p string) error { return PlotAgreement(p, rep) }}} {
		if err := w.write(filepath.Join(o.OutDir, w.name)); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// variant is one compressed network: its weights for inference and the file that stores it.
type variant struct {
	name  string
	net   *nets.Net
	store *model.Store
	// write writes the variant's weights file (safetensors) to path.
	write func(path string) error
	// int8ONNX exports the ONNX model with int8 weights.
	int8ONNX bool
	// ptq, when set, is the int8 model (int8 weights, uint8 activations) the variant runs: in Go
	// with fake-quantized activations, in ONNX Runtime as a QDQ model.
	ptq  *compress.PTQModel
	note string
}

// writeStore returns a writer of store's variables as a safetensors file.
func writeStore(store *model.Store) func(string) error {
	return func(path string) error {
		list, err := export.StoreTensors(store)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return export.WriteSafetensors(path, list, nil)
	}
}

// variants builds every variant the config lists, the original first.
func buildVariants(ctx context.Context, cc Config, net *nets.Net, store *model.Store) ([]variant, error) {
	vs := []variant{{name: "original", net: net, store: store, write: writeStore(store)}}
	for _, f := range cc.Quantize {
		opt := compress.QuantOptions{Format: f, PerChannel: f != compress.Float16}
		q, err := compress.QuantizeStore(net, store, "", opt)
		if err != nil {
			return nil, err
		}
		qs, err := q.Store()
		if err != nil {
			return nil, err
		}
		v := variant{name: string(f), net: net, store: qs, write: q.Write,
			note: "weights-only quantization, evaluated dequantized (float32 inference)"}
		if f == compress.Int8 {
			v.int8ONNX = true
			v.note += "; ONNX with int8 weights (DequantizeLinear → Conv)"
		}
		vs = append(vs, v)
	}
	crit := compress.BNScale
	if cc.Prune.Criterion == "l1" {
		crit = compress.L1Norm
	}
	for _, r := range cc.Prune.Ratios {
		plan, err := compress.PlanChannels(net, store, compress.ChannelOptions{Criterion: crit, Ratio: r,
			Global: cc.Prune.Global, MinChannels: cc.Prune.MinChannels, Multiple: cc.Prune.Multiple})
		if err != nil {
			return nil, err
		}
		pn, ps, err := plan.Prune(store, "")
		if err != nil {
			return nil, err
		}
		vs = append(vs, variant{name: fmt.Sprintf("prune-%g", r), net: pn, store: ps, write: writeStore(ps),
			note: fmt.Sprintf("%d channels removed (%s, multiple of %d)", plan.Count(), cc.Prune.Criterion, cc.Prune.Multiple)})
	}
	for _, e := range cc.LowRank.Energies {
		ln, ls, layers, err := compress.LowRank(ctx, net, store, compress.LowRankOptions{Energy: e})
		if err != nil {
			return nil, err
		}
		vs = append(vs, variant{name: fmt.Sprintf("lowrank-%g", e), net: ln, store: ls, write: writeStore(ls),
			note: fmt.Sprintf("%d layers factorized", len(layers))})
	}
	for _, s := range cc.Sparsity {
		masks, err := compress.MagnitudeMasks(net, store, compress.MagnitudeOptions{Sparsity: s, SkipDepthwise: true})
		if err != nil {
			return nil, err
		}
		ms, err := masks.Apply(store)
		if err != nil {
			return nil, err
		}
		vs = append(vs, variant{name: fmt.Sprintf("sparse-%g", s), net: net, store: ms, write: writeStore(ms),
			note: "magnitude pruning (depthwise kept dense); stored dense, so no smaller or faster"})
	}
	return vs, nil
}

// measurer measures variants: it writes their files under dir and runs them.
type measurer struct {
	be     compute.Backend
	runner *ortnode.Runner // nil without ONNX Runtime
	cfg    train.Config
	cc     Config
	split  *train.Split
	dir    string
	// preds and onnx hold each measured variant's predictor and ONNX file, for the latencies.
	preds         []predictor
	inputChannels int
	onnx          []string
	// reference holds the original's val predictions, the ground truth of the agreement AP.
	reference []dataset.Result
}

// finalize releases the predictors.
func (m *measurer) finalize() {
	for _, p := range m.preds {
		p.Finalize()
	}
	m.preds = nil
}

// latencies sets the batch-1 latencies of rows (as measured, in order): on the go backend, the
// variants' predictors take turns after one warm-up call each, and in ONNX Runtime the variants run
// in turn in one process (ortnode.Compare), so that every variant sees the same background load.
func (m *measurer) latencies(ctx context.Context, rows []Measurement) error {
	if len(m.preds) != len(rows) {
		return fmt.Errorf("latencies: %d predictors for %d variants", len(m.preds), len(rows))
	}
	h, w, c := m.cfg.InputH, m.cfg.InputW, m.inputChannels
	x := tensors.FromFlatDataAndDimensions(make([]float32, h*w*c), 1, h, w, c)
	times := make([][]float64, len(rows))
	for i, p := range m.preds {
		if _, err := p.Predict(x); err != nil {
			return fmt.Errorf("variant %s: %w", rows[i].Variant, err)
		}
	}
	for range max(1, m.cc.LatencyRuns) {
		if err := ctx.Err(); err != nil {
			return err
		}
		for i, p := range m.preds {
			start := time.Now()
			if _, err := p.Predict(x); err != nil {
				return fmt.Errorf("variant %s: %w", rows[i].Variant, err)
			}
			times[i] = append(times[i], float64(time.Since(start).Nanoseconds())/1e6)
		}
	}
	for i := range rows {
		rows[i].GoMs = median(times[i])
	}
	if m.runner == nil {
		return nil
	}
	ms, err := m.runner.Compare(ctx, m.onnx, make([]float32, h*w*c), []int{1, h, w, c}, m.cc.ORTIterations)
	if err != nil {
		return err
	}
	if len(ms) != len(rows) {
		return fmt.Errorf("ONNX Runtime timed %d of %d variants", len(ms), len(rows))
	}
	for i := range rows {
		rows[i].ORTMs = median(ms[i])
	}
	return nil
}

// measure writes a variant's weights file (and ONNX model, when ONNX Runtime is available) and
// measures all but its latency; it keeps the variant's predictor and ONNX file for latencies.
func (m *measurer) measure(ctx context.Context, v variant) (Measurement, error) {
	file := v.name + ".safetensors"
	if v.ptq != nil {
		file = v.name + ".onnx" // the QDQ model is the int8 variant's file
	}
	row := Measurement{Variant: v.name, File: file, Params: v.net.Params(), Note: v.note}
	path := filepath.Join(m.dir, row.File)
	if err := v.write(path); err != nil {
		return row, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return row, err
	}
	row.Bytes = st.Size()
	zeros, _, err := compress.Sparsity(v.net, v.store, "")
	if err != nil {
		return row, err
	}
	row.NonZeros = row.Params - zeros
	h, w := m.cfg.InputH, m.cfg.InputW
	if row.FLOPs, err = v.net.FLOPs(h, w); err != nil {
		return row, err
	}
	var p predictor
	if v.ptq != nil {
		p, err = v.ptq.Predictor(m.be)
	} else {
		p, err = nets.NewPredictor(m.be, v.store, v.net)
	}
	if err != nil {
		return row, err
	}
	m.preds = append(m.preds, p)
	m.inputChannels = v.net.InputChannels
	sc, err := m.cfg.SampleConfig(false)
	if err != nil {
		return row, err
	}
	batch := m.cc.BatchSize
	if batch <= 0 {
		batch = max(1, m.cfg.BatchSize)
	}
	results, ev, err := train.Validate(ctx, heatmapsOf(p), sc, m.split, batch, m.cfg.FlipTest)
	if err != nil {
		return row, err
	}
	row.AP, row.AP50 = ev.Stats.AP, ev.Stats.AP50
	if m.reference == nil {
		m.reference = results // the original is measured first
	}
	params, err := eval.COCOParamsFor(sc.Joints)
	if err != nil {
		return row, err
	}
	if row.Agreement, row.Agreement50, err = compress.AgreementAP(ctx, m.split.Data.Images, m.split.Data.Categories,
		m.split.Instances, m.reference, results, params); err != nil {
		return row, err
	}
	if m.runner == nil {
		return row, nil
	}
	onnxPath := filepath.Join(m.dir, v.name+".onnx")
	opt := export.ONNXOptions{Height: h, Width: w, Batch: 1, Int8Weights: v.int8ONNX}
	if v.ptq != nil {
		err = v.ptq.WriteONNX(onnxPath, opt)
	} else {
		err = export.WriteONNX(onnxPath, v.net, v.store, opt)
	}
	if err != nil {
		return row, err
	}
	m.onnx = append(m.onnx, onnxPath)
	return row, nil
}

// medianOf returns the median of xs (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// predictor is what the measurer runs: a nets.Predictor or, for post-training quantized variants, a
// compress.NewQuantPredictor.
type predictor interface {
	Predict(images *tensors.Tensor) (nets.Prediction, error)
	Finalize()
}

// heatmapsOf adapts a predictor to train.HeatmapFunc.
func heatmapsOf(p predictor) train.HeatmapFunc {
	return func(images topdown.Tensor) ([]float32, error) {
		pred, err := p.Predict(tensors.FromFlatDataAndDimensions(images.Data, images.Shape...))
		if err != nil {
			return nil, err
		}
		return tensors.CopyFlatData[float32](pred.Heatmaps)
	}
}

// ptqVariants calibrates activation ranges on crops of dataDir's training split (not the evaluated
// val split) and returns the post-training int8 variants: min/max and each percentile. The ranges
// are written to outDir/calibration.json.
func ptqVariants(ctx context.Context, be compute.Backend, cc Config, cfg train.Config, dataDir string, net *nets.Net, store *model.Store, outDir string) ([]variant, error) {
	n := cc.PTQ.CalibrationCrops
	if n == 0 {
		return nil, nil
	}
	split, err := train.ReadSplit(ctx, dataDir, "train.json")
	if err != nil {
		return nil, fmt.Errorf("calibration crops: %w", err)
	}
	sc, err := cfg.SampleConfig(false)
	if err != nil {
		return nil, err
	}
	crops, err := compress.Crops(ctx, sc, split.Instances, n, 8, cc.PTQ.Seed)
	if err != nil {
		return nil, fmt.Errorf("calibration crops of %s: %w", split.Path, err)
	}
	cal, err := compress.Calibrate(ctx, be, net, store, crops, compress.CalibrationOptions{})
	if err != nil {
		return nil, err
	}
	got := 0
	for _, c := range crops {
		got += c.Shape().Dimensions[0]
	}
	type method struct {
		name   string
		ranges map[string]compress.ActRange
		note   string
	}
	methods := []method{{"ptq-minmax", cal.MinMax, "min/max"}}
	for _, p := range cc.PTQ.Percentiles {
		r, err := cal.Percentile(p)
		if err != nil {
			return nil, err
		}
		methods = append(methods, method{fmt.Sprintf("ptq-p%g", p), r, fmt.Sprintf("percentiles %.4g–%.4g", 100-p, p)})
	}
	ranges := map[string]map[string]compress.ActRange{}
	var vs []variant
	for _, m := range methods {
		q, err := compress.PostTrainingQuant(net, store, "", m.ranges)
		if err != nil {
			return nil, err
		}
		ranges[m.name] = m.ranges
		vs = append(vs, variant{name: m.name, net: q.Net, store: q.Store, ptq: q,
			write: func(path string) error {
				return q.WriteONNX(path, export.ONNXOptions{Height: cfg.InputH, Width: cfg.InputW, Batch: 1})
			},
			note: fmt.Sprintf("int8 weights + uint8 activations (%s of %d training crops); Go: fake-quantized activations; file: QDQ ONNX", m.note, got)})
	}
	b, err := json.MarshalIndent(ranges, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(outDir, "calibration.json"), b); err != nil {
		return nil, err
	}
	return vs, nil
}

// fineTuneVariants fine-tunes the variants cc.FineTune lists with compress.FineTune (train.Run),
// the uncompressed network as teacher, and returns them as "<name>+ft".
func fineTuneVariants(ctx context.Context, be compute.Backend, cc Config, cfg train.Config, dataDir string, net *nets.Net, store *model.Store, built []variant, outDir string, progress io.Writer) ([]variant, error) {
	ft := cc.FineTune
	if ft.Steps == 0 || len(ft.Variants)+len(ft.QAT) == 0 {
		return nil, nil
	}
	teacher, err := nets.NewPredictor(be, store, net)
	if err != nil {
		return nil, err
	}
	defer teacher.Finalize()
	tc := cfg
	tc.Steps, tc.WarmupSteps = ft.Steps, min(cfg.WarmupSteps, ft.Steps/10)
	tc.LR = ft.LR
	if tc.LR == 0 {
		tc.LR = cfg.LR / 10
	}
	tc.Schedule, tc.MinLR, tc.CheckpointEvery, tc.ValidateEvery = "cosine", 0, 0, 0
	var vs []variant
	for _, name := range ft.Variants {
		i := slices.IndexFunc(built, func(v variant) bool { return v.name == name })
		if i < 0 {
			return nil, fmt.Errorf("finetune: no variant %q (the config builds prune-R and lowrank-E variants)", name)
		}
		v := built[i]
		if v.net == net {
			return nil, fmt.Errorf("finetune: variant %q has the original network; fine-tune pruned or factorized ones", name)
		}
		tc.Name = cfg.Name + "/" + name + "+ft"
		fs, sum, err := compress.FineTune(ctx, v.net, v.store, compress.FineTuneOptions{
			Config: tc, DataDir: dataDir, OutDir: filepath.Join(outDir, name), Backend: be, Progress: progress,
			Teacher: train.PredictorHeatmaps(teacher), Alpha: ft.Alpha})
		if err != nil {
			return nil, err
		}
		vs = append(vs, variant{name: name + "+ft", net: v.net, store: fs, write: writeStore(fs),
			note: fmt.Sprintf("%s fine-tuned %d steps (lr %g, final loss %.4g), teacher: the original (weight %g)", name, sum.Steps, tc.LR, sum.Loss, 1-ft.Alpha)})
	}
	for _, name := range ft.QAT {
		i := slices.IndexFunc(built, func(v variant) bool { return v.name == name && v.ptq != nil })
		if i < 0 {
			return nil, fmt.Errorf("finetune: qat: no post-training quantized variant %q (ptq-minmax, ptq-pP)", name)
		}
		acts := built[i].ptq.Activations
		tc.Name = cfg.Name + "/" + name + "+qat"
		if ft.QATLR > 0 {
			tc.LR = ft.QATLR
		}
		fs, sum, err := compress.FineTune(ctx, net, store, compress.FineTuneOptions{
			Config: tc, DataDir: dataDir, OutDir: filepath.Join(outDir, name+"+qat"), Backend: be, Progress: progress,
			Teacher: train.PredictorHeatmaps(teacher), Alpha: ft.Alpha,
			Quant: &compress.QuantSpec{Activations: acts, Weights: true, FreezeBN: !ft.QATTrainBN}})
		if err != nil {
			return nil, err
		}
		q, err := compress.NewPTQModel(net, fs, "", acts)
		if err != nil {
			return nil, err
		}
		vs = append(vs, variant{name: name + "+qat", net: q.Net, store: q.Store, ptq: q,
			write: func(path string) error {
				return q.WriteONNX(path, export.ONNXOptions{Height: cfg.InputH, Width: cfg.InputW, Batch: 1})
			},
			note: fmt.Sprintf("%s's int8 model after %d steps of quantization-aware fine-tuning (lr %g, batch norm %s, final loss %.4g), teacher: the original (weight %g)",
				name, sum.Steps, tc.LR, map[bool]string{false: "frozen", true: "trained"}[ft.QATTrainBN], sum.Loss, 1-ft.Alpha)})
	}
	return vs, nil
}
