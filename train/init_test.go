package train

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	gtrain "github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/topdown"
)

// lossOfCheckpoint computes, outside Run, the training loss (HeatmapLoss, batch statistics) of a
// checkpoint's weights on the first training batch of cfg: a store restored by LoadCheckpoint, a
// fresh trainer, one step whose loss is measured before its update.
func lossOfCheckpoint(t *testing.T, cfg Config, ckpt string) float64 {
	t.Helper()
	ctx := context.Background()
	net, err := cfg.Net()
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	if _, err := LoadCheckpoint(ckpt, store, net); err != nil {
		t.Fatal(err)
	}
	loss := HeatmapLoss()
	names, err := loss.Needs()
	if err != nil {
		t.Fatal(err)
	}
	trainer := gtrain.NewTrainer(testBackend(t), store, nets.ModelFn(net), loss.graphFn(net, names), optimizer.Adam().LearningRate(cfg.LR).Done(), nil, nil)
	sc, err := cfg.SampleConfig(true)
	if err != nil {
		t.Fatal(err)
	}
	split, err := ReadSplit(ctx, testData(t), "train.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := topdown.FirstBatch(ctx, topdown.LoaderConfig{Sample: sc, BatchSize: cfg.BatchSize, Workers: 1, Seed: cfg.Seed, Shuffle: true, DropLast: true}, split.Instances)
	if err != nil {
		t.Fatal(err)
	}
	labels, err := batchLabels(b, loss, names, 0)
	if err != nil {
		t.Fatal(err)
	}
	images := tensors.FromFlatDataAndDimensions(b.Images.Data, b.Images.Shape...)
	m, err := trainer.TrainStep(gtrain.Batch{Inputs: []*tensors.Tensor{images}, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	v, err := tensors.CopyFlatData[float32](m[0])
	if err != nil {
		t.Fatal(err)
	}
	return float64(v[0])
}

// firstLoss returns the loss record of step 1 of a run directory.
func firstLoss(t *testing.T, dir string) float64 {
	t.Helper()
	recs, err := ReadRecords(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 || recs[0].Step != 1 {
		t.Fatalf("%s: records %+v, want step 1 first", dir, recs)
	}
	return recs[0].Loss
}

// TestInitLoadsWeights trains a tiny net for 6 steps, then fine-tunes a new run from its
// checkpoint: the new run's first-step loss is the loss of the initialising weights on its first
// batch (computed apart), not that of a fresh initialization.
func TestInitLoadsWeights(t *testing.T) {
	ctx := context.Background()
	data, be := testData(t), testBackend(t)
	cfg := tinyConfig()
	pre := t.TempDir()
	if _, err := Run(ctx, cfg, Options{DataDir: data, OutDir: pre, Backend: be, NoValidation: true}); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(pre, CheckpointFile)
	fine := cfg
	fine.Steps, fine.CheckpointEvery = 1, 0
	tuned, fresh := t.TempDir(), t.TempDir()
	if _, err := Run(ctx, fine, Options{DataDir: data, OutDir: tuned, Backend: be, Init: ckpt, LogEvery: 1, NoValidation: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, fine, Options{DataDir: data, OutDir: fresh, Backend: be, LogEvery: 1, NoValidation: true}); err != nil {
		t.Fatal(err)
	}
	want := lossOfCheckpoint(t, fine, ckpt)
	got, scratch := firstLoss(t, tuned), firstLoss(t, fresh)
	t.Logf("first-step loss: initialised %.6g, initialising model %.6g, from scratch %.6g", got, want, scratch)
	if math.Abs(got-want) > 1e-5*want {
		t.Errorf("first-step loss %v, the initialising model's loss %v", got, want)
	}
	if math.Abs(scratch-want) < 0.05*want {
		t.Errorf("a fresh run's first loss %v is as close to the initialising model's %v: the test cannot tell", scratch, want)
	}
	// The fine-tuned run starts its own step count and optimizer.
	info, _ := rawVars(t, filepath.Join(tuned, CheckpointFile))
	if info.Step != 1 {
		t.Errorf("fine-tuned checkpoint at step %d, want 1", info.Step)
	}
}

// TestInitRejectsMismatches initialises networks that do not fit a checkpoint: a wider head (a
// shape differs) and another architecture (its layers differ); both errors name the checkpoint
// and a variable.
func TestInitRejectsMismatches(t *testing.T) {
	small, err := nets.MobileNetV2Pose(nets.MobileNetV2Options{Width: 0.25, HeadChannels: 8})
	if err != nil {
		t.Fatal(err)
	}
	other, err := nets.MoVNect(nets.MoVNectOptions{Width: 0.25, HeadChannels: 8})
	if err != nil {
		t.Fatal(err)
	}
	// A layer of the MobileNetV2 that MoVNect lacks, and its first variable ("/<layer>/weights").
	theirs := map[string]bool{}
	for _, l := range other.Layers {
		theirs[l.Name] = true
	}
	var only string
	for _, l := range small.Layers {
		if !theirs[l.Name] && l.Op == nets.OpConv {
			only = "/" + l.Name + "/weights"
			break
		}
	}
	if only == "" {
		t.Fatal("no convolution of the MobileNetV2 is missing from MoVNect")
	}
	sh, err := small.Shapes(32, 32)
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	for _, v := range []struct {
		path string
		dims []int
	}{{"/head_0_pw/weights", []int{1, 1, 1280, 8}}, {"/AdamOptimizer/step", nil}, {only, nil}} {
		if v.path == only {
			l := layerOf(small, strings.Split(only, "/")[1])
			in := sh[l.Inputs[0]].C
			v.dims = []int{l.KernelSize(), l.KernelSize(), in / l.GroupCount(), l.Out}
		}
		if _, err := store.CreateVariable(v.path, tensors.FromShape(shapeOf(v.dims))); err != nil {
			t.Fatal(err)
		}
	}
	ckpt := filepath.Join(t.TempDir(), "small.ckpt")
	if err := SaveCheckpoint(ckpt, store, CheckpointInfo{Net: small}); err != nil {
		t.Fatal(err)
	}
	wide, err := nets.MobileNetV2Pose(nets.MobileNetV2Options{Width: 0.25, HeadChannels: 16})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		net  *nets.Net
		want []string
	}{
		{"wider head", wide, []string{ckpt, "/head_0_pw/weights", "[1, 1, 1280, 8]", "[1, 1, 1280, 16]"}},
		{"other architecture", other, []string{ckpt, only, "not a variable of " + other.Name}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := InitWeights(ckpt, model.NewStore(), tc.net, testBackend(t), 32, 32)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Fatalf("error %v, want one containing %q", err, w)
				}
			}
		})
	}
	n, err := InitWeights(ckpt, model.NewStore(), small, testBackend(t), 32, 32)
	if err != nil || n != 2 {
		t.Errorf("same network: %d variables, error %v; want 2 (the optimizer step is not loaded)", n, err)
	}
}

// shapeOf is a float32 shape of the dimensions.
func shapeOf(dims []int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }

// layerOf returns net's layer of that name (nil if none).
func layerOf(net *nets.Net, name string) *nets.Layer {
	for i := range net.Layers {
		if net.Layers[i].Name == name {
			return &net.Layers[i]
		}
	}
	return nil
}
