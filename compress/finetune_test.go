package compress

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/synth"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

var (
	synthOnce sync.Once
	synthDir  string
	synthErr  error
)

// synthData renders a tiny synthetic dataset once per test binary: 8 images of 64×64 (6 train, 2 val).
func synthData(t *testing.T) string {
	t.Helper()
	synthOnce.Do(func() {
		synthDir, synthErr = os.MkdirTemp("", "posedistill-compress-test-")
		if synthErr != nil {
			return
		}
		r, err := synth.NewRenderer(synth.Options{Width: 64, Height: 64, MinPeople: 1, MaxPeople: 1})
		if err != nil {
			synthErr = err
			return
		}
		_, synthErr = synth.WriteDataset(context.Background(), r, synth.WriteOptions{
			Dir: synthDir, Seed: 8, Images: 8, ValFraction: 0.25, Format: "png", Workers: 1,
		})
	})
	if synthErr != nil {
		t.Fatalf("render test data: %v", synthErr)
	}
	return synthDir
}

// tinyRunConfig is a run small enough for unit tests.
func tinyRunConfig() train.Config {
	c := train.DefaultConfig()
	c.Name = "tiny"
	c.Model = train.ModelConfig{Arch: "mobilenetv2", Width: 0.25, HeadChannels: 16}
	c.InputW, c.InputH, c.Sigma = 32, 32, 1
	c.BatchSize, c.Steps, c.WarmupSteps = 4, 30, 1
	c.CheckpointEvery, c.ValidateEvery = 0, 0
	c.LR = 1e-2
	c.Augment = train.AugmentConfig{}
	c.FlipTest = false
	c.Backend = "go"
	return c
}

// cropsAndTargets returns the plain crops of the training split and their heatmap targets.
func cropsAndTargets(t *testing.T, cfg train.Config, dir string) (*tensors.Tensor, topdown.Tensor) {
	t.Helper()
	ctx := context.Background()
	sc, err := cfg.SampleConfig(false)
	if err != nil {
		t.Fatal(err)
	}
	split, err := train.ReadSplit(ctx, dir, "train.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := topdown.FirstBatch(ctx, topdown.LoaderConfig{Sample: sc, BatchSize: len(split.Instances), Workers: 1, Epochs: 1}, split.Instances)
	if err != nil {
		t.Fatal(err)
	}
	return tensors.FromFlatDataAndDimensions(b.Images.Data, b.Images.Shape...), b.Heatmaps
}

// heatmapMSE is the mean squared difference of the network's heatmaps and target.
func heatmapMSE(t *testing.T, backend compute.Backend, net *nets.Net, store *model.Store, images *tensors.Tensor, target []float32) float64 {
	t.Helper()
	got := predict(t, backend, net, store, images)[0]
	var s float64
	for i := range target {
		d := float64(got[i] - target[i])
		s += d * d
	}
	return s / float64(len(target))
}

// TestFineTunePruned prunes half the channels of a small network and fine-tunes it with train.Run,
// once on the ground truth alone and once with the unpruned network as teacher: each fine-tune must
// lower the loss it optimizes (heatmap MSE to the targets, or to the teacher's heatmaps), and the
// input store must be left as it was.
func TestFineTunePruned(t *testing.T) {
	dir := synthData(t)
	cfg := tinyRunConfig()
	backend := goBackend(t)
	net, err := cfg.Net()
	if err != nil {
		t.Fatal(err)
	}
	// The "trained" network: a short run from scratch, so that there is something to distil.
	base, _, err := FineTune(context.Background(), net, randomStore(t, backend, net, 1), FineTuneOptions{
		Config: cfg, DataDir: dir, OutDir: t.TempDir(), Backend: backend})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := PlanChannels(net, base, ChannelOptions{Criterion: BNScale, Ratio: 0.5, MinChannels: 4})
	if err != nil {
		t.Fatal(err)
	}
	pn, ps, err := plan.Prune(base, "")
	if err != nil {
		t.Fatal(err)
	}
	images, targets := cropsAndTargets(t, cfg, dir)
	teacher := predict(t, backend, net, base, images)[0]
	before := heatmapMSE(t, backend, pn, ps, images, targets.Data)
	beforeT := heatmapMSE(t, backend, pn, ps, images, teacher)
	tp, err := nets.NewPredictor(backend, base, net)
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Finalize()
	cfg.Steps = 20
	for _, tc := range []struct {
		name    string
		teacher train.HeatmapFunc
		target  []float32
		before  float64
	}{{"gt", nil, targets.Data, before}, {"teacher", train.PredictorHeatmaps(tp), teacher, beforeT}} {
		t.Run(tc.name, func(t *testing.T) {
			fs, sum, err := FineTune(context.Background(), pn, ps, FineTuneOptions{
				Config: cfg, DataDir: dir, OutDir: t.TempDir(), Teacher: tc.teacher, Alpha: 0, Backend: backend})
			if err != nil {
				t.Fatal(err)
			}
			after := heatmapMSE(t, backend, pn, fs, images, tc.target)
			t.Logf("pruned %d channels; %d steps: MSE %.3g → %.3g", plan.Count(), sum.Steps, tc.before, after)
			if !(after < tc.before) {
				t.Errorf("fine-tuning did not lower the MSE: %.4g → %.4g", tc.before, after)
			}
			if again := heatmapMSE(t, backend, pn, ps, images, tc.target); again != tc.before {
				t.Errorf("the input store changed: MSE %.4g, was %.4g", again, tc.before)
			}
		})
	}
	t.Run("qat", func(t *testing.T) {
		// Quantization-aware fine-tuning of the unpruned network under the activation ranges of a
		// calibration on the crops: the int8 model of its weights fits the targets better than the
		// post-training int8 model it started from.
		cal, err := Calibrate(context.Background(), backend, net, base, []*tensors.Tensor{images}, CalibrationOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ptq, err := PostTrainingQuant(net, base, "", cal.MinMax)
		if err != nil {
			t.Fatal(err)
		}
		mseOf := func(m *PTQModel) float64 {
			got := quantPredict(t, backend, m.Net, m.Store, QuantSpec{Activations: m.Activations}, images)[0]
			var s float64
			for i, v := range targets.Data {
				d := float64(got[i] - v)
				s += d * d
			}
			return s / float64(len(targets.Data))
		}
		for _, freeze := range []bool{false, true} {
			fs, _, err := FineTune(context.Background(), net, base, FineTuneOptions{Config: cfg, DataDir: dir, OutDir: t.TempDir(),
				Backend: backend, Quant: &QuantSpec{Activations: ptq.Activations, Weights: true, FreezeBN: freeze}})
			if err != nil {
				t.Fatal(err)
			}
			qat, err := NewPTQModel(net, fs, "", ptq.Activations)
			if err != nil {
				t.Fatal(err)
			}
			before, after := mseOf(ptq), mseOf(qat)
			t.Logf("int8 model MSE (frozen batch norm %v): post-training %.4g, after %d QAT steps %.4g", freeze, before, cfg.Steps, after)
			if !(after < before) {
				t.Errorf("frozen batch norm %v: QAT did not lower the int8 model's MSE: %.4g → %.4g", freeze, before, after)
			}
		}
	})
}
