package imported

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/movenet"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// runKeypoints loads a run, predicts on one normalized crop and decodes its heads with the run's
// codec's DecodeOffsets, as MoveNet's graph output ([17][3]: y, x in 0–1, confidence).
func runKeypoints(t *testing.T, dir string, crop []float32, size int) []float32 {
	t.Helper()
	run, err := train.LoadTrained(dir)
	if err != nil {
		t.Fatal(err)
	}
	if run.Config.Codec != "movenet" || run.Net.Heads.Offsets == "" || run.Net.Heads.Regression == "" {
		t.Fatalf("run %s: codec %q, heads %+v: want movenet with offsets and regression", dir, run.Config.Codec, run.Net.Heads)
	}
	p, err := run.Predictor(testkit.Backend(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Finalize()
	pred, err := p.Predict(tensors.FromFlatDataAndDimensions(crop, 1, size, size, 3))
	if err != nil {
		t.Fatal(err)
	}
	flat := func(x *tensors.Tensor) []float32 { return tensors.MustCopyFlatData[float32](x) }
	c, err := codec.New(codec.MoveNet, size, size, size/4, size/4, run.Config.Sigma)
	if err != nil {
		t.Fatal(err)
	}
	preds, err := c.DecodeOffsets(codec.OffsetHeads{Heatmaps: flat(pred.Heatmaps), Offsets: flat(pred.Offsets),
		Centre: flat(pred.Mask), Regression: flat(pred.Regression)}, movenet.NumKeypoints)
	if err != nil {
		t.Fatal(err)
	}
	return movenet.Output(c, preds)
}

// TestMoveNetCodecRun imports Lightning with the MoveNet codec (models import --codec movenet)
// as a run: loaded by train.LoadTrained and decoded by the codec, it gives the keypoints of the
// MoveNet estimator (hence of MoveNet's own graph, see movenet's TestImportedNetDecodesAsGraph)
// on a crop of a real photo within float32 rounding. Fine-tuned by train.Run with the run's
// config (the codec's loss: heatmaps, offsets, regression) for three steps at a learning rate of
// 1e-6, it keeps them: its confident keypoints move by under a pixel of the 192-pixel crop. (At
// 1e-5, three Adam steps on these synthetic 64-pixel crops moved them by up to 4 pixels.)
func TestMoveNetCodecRun(t *testing.T) {
	ctx := context.Background()
	m, err := ImportWith(ctx, testkit.Backend(t), testkit.MoveNetCache(t), string(movenet.Lightning), ImportOptions{Codec: "movenet"})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "lightning")
	if err := m.WriteRun(dir); err != nil {
		t.Fatal(err)
	}
	img := testkit.Photo(t, photo)
	b := img.Bounds()
	raw := movenet.CropAndResize(img, movenet.InitCropRegion(b.Dy(), b.Dx()), 192, 192)
	crop := make([]float32, len(raw))
	for i, v := range raw {
		crop[i] = float32(v)
	}
	if err := topdown.Normalize(crop, topdown.ImageNetMean(), topdown.ImageNetStd()); err != nil {
		t.Fatal(err)
	}
	got := runKeypoints(t, dir, crop, 192)
	e, err := movenet.Open(testkit.Backend(t), testkit.MoveNetCache(t), movenet.Lightning)
	if err != nil {
		t.Fatal(err)
	}
	want, err := e.Infer(ctx, raw, 192, 192)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(got, want); d > 1e-5 {
		t.Fatalf("the run's keypoints differ from the estimator's by %.2g", d)
	}

	cfg, err := train.ReadRunConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := testkit.SynthData(t, testkit.Synth{Size: 96, MinPeople: 1, MaxPeople: 1, Images: 8, Seed: 8})
	cfg.InputW, cfg.InputH, cfg.Steps, cfg.BatchSize, cfg.LR = 64, 64, 3, 2, 1e-6
	cfg.CheckpointEvery, cfg.ValidateEvery, cfg.FlipTest = 0, 0, false
	out := filepath.Join(t.TempDir(), "tuned")
	sum, err := train.Run(ctx, cfg, train.Options{DataDir: data, OutDir: out, Net: m.Net, Init: filepath.Join(dir, train.CheckpointFile)})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Steps != 3 || math.IsNaN(sum.Loss) || math.IsInf(sum.Loss, 0) {
		t.Fatalf("summary %+v", sum)
	}
	tuned := runKeypoints(t, out, crop, 192)
	moved, worst := 0.0, 0.0
	for k := range movenet.NumKeypoints {
		d := 192 * math.Hypot(float64(tuned[3*k]-want[3*k]), float64(tuned[3*k+1]-want[3*k+1]))
		moved = math.Max(moved, d)
		if want[3*k+2] > 0.3 {
			worst = math.Max(worst, d)
		}
	}
	t.Logf("loss %.4g after %d steps; keypoints moved by up to %.3g px of 192 (%.3g for the confident ones)", sum.Loss, sum.Steps, moved, worst)
	if moved == 0 {
		t.Error("fine-tuning left every keypoint where it was")
	}
	if worst > 1 {
		t.Errorf("fine-tuning moved a confident keypoint by %.2f px", worst)
	}
}

// TestEvaluateOnMoveNetCrops labels the person of a real photo with Lightning's keypoints as
// finetune-video's teacher labels them (estimate: MoveNet's crop of the box, its output mapped
// back as MoveNet maps it) and checks that the imported Lightning run (codec movenet) on MoveNet's
// crops (moveNetCropResults, evaluateOnMoveNetCrops) gives those keypoints back within 0.01 px
// and AP 1; a run without MoveNet's heads has no such evaluation.
func TestEvaluateOnMoveNetCrops(t *testing.T) {
	ctx := context.Background()
	be := testkit.Backend(t)
	e, err := movenet.Open(be, testkit.MoveNetCache(t), movenet.Lightning)
	if err != nil {
		t.Fatal(err)
	}
	img := testkit.Photo(t, photo)
	people, err := e.Estimate(ctx, img)
	if err != nil || len(people) == 0 {
		t.Fatalf("Lightning finds %d people in %s: %v", len(people), photo, err)
	}
	box := people[0].Box
	kps, _, err := estimate(ctx, e, img, box)
	if err != nil {
		t.Fatal(err)
	}
	ann := dataset.Annotation{ID: 1, ImageID: 1, CategoryID: 1, BBox: box, Area: box[2] * box[3], Keypoints: make([]float64, 3*movenet.NumKeypoints)}
	for k, p := range kps {
		if p[2] >= teacherMinScore {
			ann.Keypoints[3*k], ann.Keypoints[3*k+1], ann.Keypoints[3*k+2] = p[0], p[1], 2
			ann.NumKeypoints++
		}
	}
	if ann.NumKeypoints < 8 {
		t.Fatalf("Lightning labels %d keypoints", ann.NumKeypoints)
	}
	data := t.TempDir()
	raw, err := os.ReadFile(photo)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "photo.jpg"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	d := &dataset.Dataset{Images: []dataset.Image{{ID: 1, FileName: "photo.jpg", Width: b.Dx(), Height: b.Dy()}},
		Annotations: []dataset.Annotation{ann}, Categories: []dataset.Category{dataset.NewCOCO17Category()}}
	if err := dataset.Write(filepath.Join(data, "val.json"), d); err != nil {
		t.Fatal(err)
	}
	val, err := train.ReadSplit(ctx, data, "val.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"movenet", "msra"} {
		m, err := ImportWith(ctx, be, testkit.MoveNetCache(t), string(movenet.Lightning), ImportOptions{Codec: kind})
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), kind)
		if err := m.WriteRun(dir); err != nil {
			t.Fatal(err)
		}
		stats, err := evaluateOnMoveNetCrops(ctx, be, dir, data, val)
		if err != nil {
			t.Fatal(err)
		}
		if kind == "msra" {
			if stats != nil {
				t.Errorf("codec msra: an evaluation on MoveNet's crops (AP %.3f), want none", stats.AP)
			}
			continue
		}
		results, _, err := moveNetCropResults(ctx, be, dir, data, val)
		if err != nil {
			t.Fatal(err)
		}
		if len(results) != 1 || len(results[0].Keypoints) != 3*movenet.NumKeypoints {
			t.Fatalf("%d results", len(results))
		}
		worst := 0.0
		for k, p := range kps {
			got := results[0].Keypoints[3*k:]
			worst = math.Max(worst, math.Hypot(got[0]-p[0], got[1]-p[1]))
		}
		t.Logf("on MoveNet's crops: keypoints within %.2g px of the labels', AP %.4f", worst, stats.AP)
		if worst > 0.01 || stats.AP < 0.999 {
			t.Errorf("on MoveNet's crops: keypoints %.3g px from the labels', AP %.4f; want the labels' own keypoints", worst, stats.AP)
		}
	}
}

// TestFineTuneConfig checks the configuration FineTuneOnVideo trains with: its steps, batch,
// rate and seed, a warmup over a tenth of the steps, no mid-run checkpoints or validations, and
// the imported run's augmentation unless NoAugment.
func TestFineTuneConfig(t *testing.T) {
	base := train.DefaultConfig()
	for _, tc := range []struct {
		name    string
		o       VideoOptions
		augment bool
	}{
		{"augmented", VideoOptions{Steps: 150, Batch: 8, LR: 5e-5, Seed: 3}, true},
		{"plain crops", VideoOptions{Steps: 40, Batch: 4, LR: 1e-5, Seed: 1, NoAugment: true}, false},
		{"one step", VideoOptions{Steps: 1, Batch: 8, LR: 5e-5, Seed: 1}, true},
	} {
		cfg := fineTuneConfig(base, tc.o)
		if cfg.Steps != tc.o.Steps || cfg.BatchSize != tc.o.Batch || cfg.LR != tc.o.LR || cfg.Seed != tc.o.Seed || cfg.WarmupSteps != tc.o.Steps/10 {
			t.Errorf("%s: steps %d batch %d lr %g seed %d warmup %d", tc.name, cfg.Steps, cfg.BatchSize, cfg.LR, cfg.Seed, cfg.WarmupSteps)
		}
		if cfg.CheckpointEvery != 0 || cfg.ValidateEvery != 0 || cfg.FlipTest {
			t.Errorf("%s: checkpoint every %d, validate every %d, flip test %v", tc.name, cfg.CheckpointEvery, cfg.ValidateEvery, cfg.FlipTest)
		}
		if got := cfg.Augment != (train.AugmentConfig{}); got != tc.augment || (tc.augment && cfg.Augment != base.Augment) {
			t.Errorf("%s: augmentation %+v, want the run's: %v", tc.name, cfg.Augment, tc.augment)
		}
	}
}
