package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/topdown"
)

// rawVars returns the bytes of every variable of a checkpoint file, by path.
func rawVars(t *testing.T, path string) (CheckpointInfo, map[string][]byte) {
	t.Helper()
	info, vals, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]byte, len(vals))
	for p, v := range vals {
		if err := v.ConstBytes(func(b []byte) { out[p] = bytes.Clone(b) }); err != nil {
			t.Fatal(err)
		}
	}
	return info, out
}

// TestRunLowersLossAndResumesBitForBit trains a tiny net for 10 steps in one go, and again as 5
// steps, an interruption, and a resumed run of 5 more: both end with the same bytes in every
// variable (weights, batch-norm statistics, Adam moments, step counters). The uninterrupted run's
// loss falls and its validation writes COCO numbers, results and curves.
func TestRunLowersLossAndResumesBitForBit(t *testing.T) {
	data := testData(t)
	b := testBackend(t)
	ctx := context.Background()
	cfg := tinyConfig()
	cfg.Steps = 10

	whole := t.TempDir()
	runCfg := cfg
	runCfg.ValidateEvery = 5
	sum, err := Run(ctx, runCfg, Options{DataDir: data, OutDir: whole, Backend: b, LogEvery: 1})
	if err != nil {
		t.Fatal(err)
	}
	// The final validation saw the final weights (it once reused a stale predictor).
	m, err := LoadModel(whole, b)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	valSplit, err := ReadSplit(ctx, data, "val.json")
	if err != nil {
		t.Fatal(err)
	}
	final := model.NewStore()
	if _, err := LoadCheckpoint(filepath.Join(whole, CheckpointFile), final, m.Net); err != nil {
		t.Fatal(err)
	}
	fp, err := nets.NewPredictor(b, final, m.Net)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := cfg.SampleConfig(false)
	fresh, err := Predict(ctx, PredictorHeatmaps(fp), sc, valSplit.Instances, cfg.BatchSize, cfg.FlipTest)
	fp.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	logged, err := dataset.ReadResults(filepath.Join(whole, ValResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) != len(fresh) || !slices.Equal(logged[0].Keypoints, fresh[0].Keypoints) {
		t.Errorf("final validation results differ from a fresh prediction with the final checkpoint")
	}
	if sum.Steps != cfg.Steps || sum.Val == nil {
		t.Fatalf("summary %+v", sum)
	}
	recs, err := ReadRecords(filepath.Join(whole, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var losses []float64
	var validated []int // the steps with a validation record: the mid-run one runs in the background
	for _, r := range recs {
		if len(r.Val) > 0 {
			validated = append(validated, r.Step)
		}
		if r.Loss > 0 {
			losses = append(losses, r.Loss)
			if gt := r.Terms["heatmap_gt"]; math.Abs(gt-r.Loss) > 1e-6*r.Loss {
				t.Errorf("step %d: term heatmap_gt %v, loss %v (its only term, weight 1)", r.Step, gt, r.Loss)
			}
		}
	}
	if !slices.Equal(validated, []int{5, 10}) {
		t.Errorf("validation records at steps %v, want [5 10]", validated)
	}
	n := len(losses)
	if n != cfg.Steps || !((losses[n-1]+losses[n-2]+losses[n-3])/3 < 0.8*(losses[0]+losses[1])/2) {
		t.Errorf("losses %v: want %d steps, the mean of the last three below 0.8 of the first two's", losses, cfg.Steps)
	}
	for _, f := range []string{ConfigFile, CheckpointFile, BestFile, CurvesFile, ValResultsFile} {
		if _, err := os.Stat(filepath.Join(whole, f)); err != nil {
			t.Error(err)
		}
	}

	// The best checkpoint holds the network's weights and nothing of the optimizer; the resume
	// checkpoint holds both.
	bestInfo, _ := rawVars(t, filepath.Join(whole, BestFile))
	lastInfo, _ := rawVars(t, filepath.Join(whole, CheckpointFile))
	if len(bestInfo.Vars) == 0 || len(bestInfo.Vars) >= len(lastInfo.Vars) {
		t.Errorf("best.ckpt holds %d variables, checkpoint.ckpt %d: want the network's weights only, fewer", len(bestInfo.Vars), len(lastInfo.Vars))
	}
	for _, v := range bestInfo.Vars {
		if layer := nets.LayerOf(v.Path); layer == "AdamOptimizer" || layer == "optimizers" || layer == "global_step" {
			t.Errorf("best.ckpt holds training state %s", v.Path)
		}
	}

	split := t.TempDir()
	if _, err := Run(ctx, cfg, Options{DataDir: data, OutDir: split, Backend: b, LogEvery: 1, StopAt: 5, NoValidation: true}); err != nil {
		t.Fatal(err)
	}
	if info, _ := rawVars(t, filepath.Join(split, CheckpointFile)); info.Step != 5 {
		t.Fatalf("interrupted checkpoint at step %d, want 5", info.Step)
	}
	if _, err := Run(ctx, cfg, Options{DataDir: data, OutDir: split, Backend: b, LogEvery: 1, Resume: true, NoValidation: true}); err != nil {
		t.Fatal(err)
	}
	if err := CompareCheckpoints(filepath.Join(whole, CheckpointFile), filepath.Join(split, CheckpointFile)); err != nil {
		t.Errorf("interrupt + resume: %v", err)
	}
	recs2, err := ReadRecords(filepath.Join(split, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var losses2 []float64
	for _, r := range recs2 {
		if r.Loss > 0 {
			losses2 = append(losses2, r.Loss)
		}
	}
	if len(losses2) != len(losses) {
		t.Fatalf("resumed log has %d loss records, want %d", len(losses2), len(losses))
	}
	for i := range losses {
		if losses[i] != losses2[i] {
			t.Errorf("step %d loss %v after resume, %v uninterrupted", i+1, losses2[i], losses[i])
		}
	}
}

// TestRunStopsOnNaN makes the loss overflow at step 4: the run fails with ErrNaN naming the
// step, and the checkpoint of step 3 survives and loads.
func TestRunStopsOnNaN(t *testing.T) {
	data := testData(t)
	cfg := tinyConfig()
	out := t.TempDir()
	blowUp := Term{
		Name: "overflow", Needs: []string{TensorHeatmaps},
		Weight: func(step int) float64 {
			if step >= 3 {
				return 1e38
			}
			return 0
		},
		Build: func(in TermInputs) *graph.Node {
			return graph.AddScalar(graph.ReduceAllSum(graph.Square(in.Out.Heatmaps)), 10)
		},
	}
	loss := &Loss{Terms: []Term{HeatmapMSE("heatmap_gt", nil), blowUp}}
	_, err := Run(context.Background(), cfg, Options{DataDir: data, OutDir: out, Backend: testBackend(t), Loss: loss, NoValidation: true})
	if !errors.Is(err, ErrNaN) || !strings.Contains(err.Error(), "step 3") || !strings.Contains(err.Error(), CheckpointFile) {
		t.Fatalf("error %v: want ErrNaN at step 3 naming the kept checkpoint", err)
	}
	net, _ := cfg.Net()
	info, err := LoadCheckpoint(filepath.Join(out, CheckpointFile), model.NewStore(), net)
	if err != nil {
		t.Fatal(err)
	}
	if info.Step != 3 {
		t.Errorf("kept checkpoint is at step %d, want 3", info.Step)
	}
}

// TestCheckpointOfAnotherArchitecture saves a tiny MobileNetV2 and loads it for a tiny MoVNect
// and for a MobileNetV2 of another width: both fail naming the architectures.
func TestCheckpointOfAnotherArchitecture(t *testing.T) {
	a, err := nets.MobileNetV2Pose(nets.MobileNetV2Options{Width: 0.25, HeadChannels: 8})
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	if _, err := store.CreateVariable("/conv/weights", tensors.FromValue([]float32{1, 2, 3})); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a.ckpt")
	if err := SaveCheckpoint(path, store, CheckpointInfo{Step: 1, Net: a}); err != nil {
		t.Fatal(err)
	}
	for _, other := range []func() (*nets.Net, error){
		func() (*nets.Net, error) { return nets.MoVNect(nets.MoVNectOptions{Width: 0.25, HeadChannels: 8}) },
		func() (*nets.Net, error) {
			return nets.MobileNetV2Pose(nets.MobileNetV2Options{Width: 0.5, HeadChannels: 8})
		},
	} {
		b, err := other()
		if err != nil {
			t.Fatal(err)
		}
		_, err = LoadCheckpoint(path, model.NewStore(), b)
		if err == nil || !strings.Contains(err.Error(), a.Name) || !strings.Contains(err.Error(), b.Name) || !strings.Contains(err.Error(), path) {
			t.Errorf("loading %s for %s: error %v, want one naming both and the file", a.Name, b.Name, err)
		}
	}
	if _, err := LoadCheckpoint(path, model.NewStore(), a); err != nil {
		t.Errorf("same architecture: %v", err)
	}
}

// TestRunWithTeacherTerm trains with MoVNect's blend α·‖H−H_GT‖² + (1−α)·‖H−H_T‖², the teacher
// heatmaps arriving as a batch extra added by BeforeStep (here: half the GT heatmaps): both terms
// are logged, and the weighted sum is the loss.
func TestRunWithTeacherTerm(t *testing.T) {
	cfg := tinyConfig()
	cfg.Steps = 3
	out := t.TempDir()
	alpha := 0.25
	loss := &Loss{Terms: []Term{
		HeatmapMSE("heatmap_gt", Constant(alpha)),
		TeacherHeatmapMSE("heatmap_teacher", "teacher_heatmaps", Constant(1-alpha)),
	}}
	before := func(_ context.Context, _ int, b *topdown.Batch) error {
		h := topdown.Tensor{Shape: b.Heatmaps.Shape, Data: make([]float32, len(b.Heatmaps.Data))}
		for i, v := range b.Heatmaps.Data {
			h.Data[i] = v / 2
		}
		if b.Extra == nil {
			b.Extra = map[string]topdown.Tensor{}
		}
		b.Extra["teacher_heatmaps"] = h
		return nil
	}
	if _, err := Run(context.Background(), cfg, Options{DataDir: testData(t), OutDir: out, Backend: testBackend(t), Loss: loss, BeforeStep: before, LogEvery: 1, NoValidation: true}); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadRecords(filepath.Join(out, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != cfg.Steps {
		t.Fatalf("%d records, want %d", len(recs), cfg.Steps)
	}
	for _, r := range recs {
		gt, teacher := r.Terms["heatmap_gt"], r.Terms["heatmap_teacher"]
		if !(gt > 0 && teacher > 0) || gt == teacher || math.Abs(alpha*gt+(1-alpha)*teacher-r.Loss) > 1e-5*r.Loss {
			t.Errorf("step %d: terms gt %v teacher %v, loss %v: want loss = %v·gt + %v·teacher", r.Step, gt, teacher, r.Loss, alpha, 1-alpha)
		}
	}
	// A loss asking for an extra the batches lack fails with a clear error.
	_, err = Run(context.Background(), cfg, Options{DataDir: testData(t), OutDir: t.TempDir(), Backend: testBackend(t), Loss: loss, NoValidation: true})
	if err == nil || !strings.Contains(err.Error(), "extra/teacher_heatmaps") {
		t.Errorf("missing extra: error %v", err)
	}
}

// TestRunCancelSavesCheckpoint cancels the context during step 3 (as Ctrl-C does): the run
// returns the context's error after saving a checkpoint of the steps it completed.
func TestRunCancelSavesCheckpoint(t *testing.T) {
	cfg := tinyConfig()
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	steps := 0
	before := func(context.Context, int, *topdown.Batch) error {
		if steps++; steps == 3 {
			cancel()
		}
		return nil
	}
	_, err := Run(ctx, cfg, Options{DataDir: testData(t), OutDir: out, Backend: testBackend(t), BeforeStep: before, NoValidation: true})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "checkpoint saved") {
		t.Fatalf("error %v: want context.Canceled with a saved checkpoint", err)
	}
	net, _ := cfg.Net()
	info, err := LoadCheckpoint(filepath.Join(out, CheckpointFile), model.NewStore(), net)
	if err != nil {
		t.Fatal(err)
	}
	if info.Step != 3 {
		t.Errorf("checkpoint at step %d, want 3 (the step under way when cancelled completes)", info.Step)
	}
}

// A run whose config names its network by a relative model.file (as an imported model's run,
// trained from the repository's root) loads from any directory and after being moved, and
// resumes with the config that started it.
func TestRunWithRelativeNetFileLoadsAnywhere(t *testing.T) {
	data := testData(t)
	root := t.TempDir()
	base := tinyConfig()
	net, err := base.Net()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(net)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "imported"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "imported"), NetFile, string(b))
	t.Chdir(root)
	cfg := tinyConfig()
	cfg.Model = ModelConfig{File: filepath.Join("imported", NetFile)}
	cfg.Steps, cfg.CheckpointEvery = 2, 2
	ctx := context.Background()
	if _, err := Run(ctx, cfg, Options{DataDir: data, OutDir: "run", Backend: testBackend(t), NoValidation: true}); err != nil {
		t.Fatal(err)
	}
	cfg.Steps = 3
	if _, err := Run(ctx, cfg, Options{DataDir: data, OutDir: "run", Backend: testBackend(t), NoValidation: true, Resume: true}); err != nil {
		t.Fatalf("resume with the relative model.file: %v", err)
	}
	moved := filepath.Join(t.TempDir(), "zoo-model")
	if err := os.Rename(filepath.Join(root, "run"), moved); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	tr, err := LoadTrained(moved)
	if err != nil {
		t.Fatalf("load the moved run from another directory: %v", err)
	}
	if tr.Info.Step != 3 || tr.Config.Model.File != filepath.Join(moved, NetFile) {
		t.Errorf("loaded step %d with model.file %q, want step 3 and the run's own %s", tr.Info.Step, tr.Config.Model.File, NetFile)
	}
}
