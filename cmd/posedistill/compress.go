package main

import (
	"bytes"
	"context"
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
	backends "github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/compress"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/export/ortnode"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/train"
	"gopkg.in/yaml.v3"
)

// compressConfig lists the variants "posedistill compress" measures (configs/compress_movnect.yaml).
type compressConfig struct {
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
}

// readCompressConfig reads and checks a compress config (YAML, unknown keys rejected).
func readCompressConfig(path string) (compressConfig, error) {
	var c compressConfig
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
	return c, nil
}

// runCompress measures a trained run compressed in every way its config lists.
func runCompress(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compress", "compress --model RUN --config configs/compress_movnect.yaml --data DIR --out DIR", stderr)
	runDir := fs.String("model", "", "run directory of posedistill train")
	configPath := fs.String("config", "configs/compress_movnect.yaml", "variants to measure (YAML)")
	data := fs.String("data", "", "dataset directory whose val.json is evaluated (posedistill synth --out DIR)")
	out := fs.String("out", "", "output directory: variants/, compress.md, compress.json, pareto.png")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *runDir == "" || *data == "" || *out == "" {
		fmt.Fprintln(fs.Output(), "posedistill compress: --model, --data and --out are required")
		fs.Usage()
		return errUsage
	}
	cc, err := readCompressConfig(*configPath)
	if err != nil {
		return err
	}
	cfg, net, store, _, err := loadRunWeights(*runDir)
	if err != nil {
		return err
	}
	split, err := train.ReadSplit(ctx, *data, "val.json")
	if err != nil {
		return err
	}
	vdir := filepath.Join(*out, "variants")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}
	be, err := backends.New("go")
	if err != nil {
		return err
	}
	defer be.Finalize()
	runner, err := ortnode.Find(".")
	if err != nil && !errors.Is(err, ortnode.ErrUnavailable) {
		return err
	}
	rep := &compress.Report{Model: cfg.Name + " (" + *runDir + ")", Data: split.Path,
		Notes: []string{"no fine-tuning after compression: train.Run builds its network from a Config, which cannot describe a pruned or factorized network, so it is not wired"}}
	if runner == nil {
		rep.Notes = append(rep.Notes, "ONNX Runtime not available (scripts/setup-onnxruntime): no ONNX latency")
	}
	m := &compressMeasurer{be: be, runner: runner, cfg: cfg, cc: cc, split: split, dir: vdir}
	variants, err := compressVariants(ctx, cc, net, store)
	if err != nil {
		return err
	}
	defer m.finalize()
	for _, v := range variants {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := m.measure(ctx, v)
		if err != nil {
			return fmt.Errorf("variant %s: %w", v.name, err)
		}
		rep.Rows = append(rep.Rows, row)
	}
	if err := m.latencies(ctx, rep.Rows); err != nil {
		return err
	}
	for _, row := range rep.Rows {
		fmt.Fprintf(stdout, "%-14s %9d bytes  %8d params  %6.1f MFLOPs  go %6.2f ms  ort %5.2f ms  AP %.4f\n",
			row.Variant, row.Bytes, row.Params, float64(row.FLOPs)/1e6, row.GoMs, row.ORTMs, row.AP)
	}
	if err := rep.Finish(); err != nil {
		return err
	}
	for _, w := range []struct {
		name  string
		write func(string) error
	}{{"compress.md", rep.WriteMarkdown}, {"compress.json", rep.WriteJSON}, {"pareto.png", func(p string) error { return compress.PlotPareto(p, rep) }}} {
		if err := w.write(filepath.Join(*out, w.name)); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote %s, compress.json and pareto.png (Pareto front: %v)\n", filepath.Join(*out, "compress.md"), rep.Pareto)
	return nil
}

// compressVariant is one compressed network: its weights for inference and the file that stores it.
type compressVariant struct {
	name  string
	net   *nets.Net
	store *model.Store
	// write writes the variant's weights file (safetensors) to path.
	write func(path string) error
	// int8ONNX exports the ONNX model with int8 weights.
	int8ONNX bool
	note     string
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

// compressVariants builds every variant the config lists, the original first.
func compressVariants(ctx context.Context, cc compressConfig, net *nets.Net, store *model.Store) ([]compressVariant, error) {
	vs := []compressVariant{{name: "original", net: net, store: store, write: writeStore(store)}}
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
		v := compressVariant{name: string(f), net: net, store: qs, write: q.Write,
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
		vs = append(vs, compressVariant{name: fmt.Sprintf("prune-%g", r), net: pn, store: ps, write: writeStore(ps),
			note: fmt.Sprintf("%d channels removed (%s, multiple of %d)", plan.Count(), cc.Prune.Criterion, cc.Prune.Multiple)})
	}
	for _, e := range cc.LowRank.Energies {
		ln, ls, layers, err := compress.LowRank(ctx, net, store, compress.LowRankOptions{Energy: e})
		if err != nil {
			return nil, err
		}
		vs = append(vs, compressVariant{name: fmt.Sprintf("lowrank-%g", e), net: ln, store: ls, write: writeStore(ls),
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
		vs = append(vs, compressVariant{name: fmt.Sprintf("sparse-%g", s), net: net, store: ms, write: writeStore(ms),
			note: "magnitude pruning (depthwise kept dense); stored dense, so no smaller or faster"})
	}
	return vs, nil
}

// compressMeasurer measures variants: it writes their files under dir and runs them.
type compressMeasurer struct {
	be     compute.Backend
	runner *ortnode.Runner // nil without ONNX Runtime
	cfg    train.Config
	cc     compressConfig
	split  *train.Split
	dir    string
	// preds and onnx hold each measured variant's predictor and ONNX file, for the latencies.
	preds         []*nets.Predictor
	inputChannels int
	onnx          []string
}

// finalize releases the predictors.
func (m *compressMeasurer) finalize() {
	for _, p := range m.preds {
		p.Finalize()
	}
	m.preds = nil
}

// latencies sets the batch-1 latencies of rows (as measured, in order): on the go backend, the
// variants' predictors take turns after one warm-up call each, and in ONNX Runtime the variants run
// in turn in one process (ortnode.Compare), so that every variant sees the same background load.
func (m *compressMeasurer) latencies(ctx context.Context, rows []compress.Measurement) error {
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
		rows[i].GoMs = medianOf(times[i])
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
		rows[i].ORTMs = medianOf(ms[i])
	}
	return nil
}

// measure writes a variant's weights file (and ONNX model, when ONNX Runtime is available) and
// measures all but its latency; it keeps the variant's predictor and ONNX file for latencies.
func (m *compressMeasurer) measure(ctx context.Context, v compressVariant) (compress.Measurement, error) {
	row := compress.Measurement{Variant: v.name, File: v.name + ".safetensors", Params: v.net.Params(), Note: v.note}
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
	p, err := nets.NewPredictor(m.be, v.store, v.net)
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
	_, ev, err := train.Validate(ctx, train.PredictorHeatmaps(p), sc, m.split, batch, m.cfg.FlipTest)
	if err != nil {
		return row, err
	}
	row.AP, row.AP50 = ev.Stats.AP, ev.Stats.AP50
	if m.runner == nil {
		return row, nil
	}
	onnxPath := filepath.Join(m.dir, v.name+".onnx")
	opt := export.ONNXOptions{Height: h, Width: w, Batch: 1, Int8Weights: v.int8ONNX}
	if err := export.WriteONNX(onnxPath, v.net, v.store, opt); err != nil {
		return row, err
	}
	m.onnx = append(m.onnx, onnxPath)
	return row, nil
}

// medianOf returns the median of xs (0 for none).
func medianOf(xs []float64) float64 {
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
