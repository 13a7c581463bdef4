package imported

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/compress"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/movenet"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/tfjs"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// photo is a real photo of a person (Debian package opencv-doc).
const photo = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg"

// lightning imports MoveNet Lightning.
func lightning(t testing.TB) *Model {
	t.Helper()
	m, err := Import(context.Background(), testkit.Backend(t), testkit.MoveNetCache(t), string(movenet.Lightning))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// heads runs net with the variables of store on normalized images and returns the heatmaps.
func heads(t testing.TB, net *nets.Net, store *model.Store, images *tensors.Tensor) []float32 {
	t.Helper()
	exec, err := model.NewExec(testkit.Backend(t), store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		out, err := nets.Build(scope, net, x, false)
		if err != nil {
			panic(err)
		}
		return out.Heatmaps
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Call1(images)
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float32](out)
}

func maxAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// TestImportMoveNetMatchesGraph checks the imported Lightning and MultiPose, fed the crop the
// training pipeline makes (ImageNet-normalized), give the keypoint heatmaps MoveNet's own graph
// gives on the raw image (its sigmoid of the keypoint heatmap head), and that each saves as a run
// whose config takes the model's input size and codec.
func TestImportMoveNetMatchesGraph(t *testing.T) {
	img := testkit.Photo(t, photo)
	b := img.Bounds()
	for _, tc := range []struct {
		model   movenet.Model
		sigmoid string
	}{{movenet.Lightning, "StatefulPartitionedCall/Sigmoid"}, {movenet.MultiPose, "StatefulPartitionedCall/Sigmoid_1"}} {
		m, err := Import(context.Background(), testkit.Backend(t), testkit.MoveNetCache(t), string(tc.model))
		if err != nil {
			t.Fatal(err)
		}
		size := m.InputSize
		raw := movenet.CropAndResize(img, movenet.InitCropRegion(b.Dy(), b.Dx()), size, size)
		norm := make([]float32, len(raw))
		for i, v := range raw {
			norm[i] = float32(v)
		}
		if err := topdown.Normalize(norm, topdown.ImageNetMean(), topdown.ImageNetStd()); err != nil {
			t.Fatal(err)
		}
		got := heads(t, m.Net, m.Store, tensors.FromFlatDataAndDimensions(norm, 1, size, size, 3))

		file, _ := tc.model.File()
		mdl, w, err := tfjs.ReadFile(modelstore.MoveNetPath(testkit.MoveNetCache(t), file))
		if err != nil {
			t.Fatal(err)
		}
		mdl.Outputs = []tfjs.TensorInfo{{Name: tc.sigmoid}}
		g, err := tfjs.NewGraph(mdl, w)
		if err != nil {
			t.Fatal(err)
		}
		r, err := tfjs.NewRunner(testkit.Backend(t), g)
		if err != nil {
			t.Fatal(err)
		}
		want, err := r.Run(context.Background(), tensors.FromFlatDataAndDimensions(raw, 1, size, size, 3))
		if err != nil {
			t.Fatal(err)
		}
		if len(want[0].Values) != len(got) {
			t.Fatalf("%s: %d heatmap values, MoveNet has %d", tc.model, len(got), len(want[0].Values))
		}
		d := maxAbsDiff(got, want[0].Values)
		t.Logf("%s heatmaps %v: max |imported − MoveNet| %.2g", tc.model, want[0].Shape, d)
		if d > 1e-4 {
			t.Errorf("the imported %s's heatmaps differ from MoveNet's by %.2g", tc.model, d)
		}
		dir := filepath.Join(t.TempDir(), string(tc.model))
		if err := m.WriteRun(dir); err != nil {
			t.Fatal(err)
		}
		cfg, err := train.ReadRunConfig(dir)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.InputW != size || cfg.InputH != size || cfg.Codec != "msra" {
			t.Errorf("%s run: input %dx%d codec %q, want %dx%d msra", tc.model, cfg.InputW, cfg.InputH, cfg.Codec, size, size)
		}
	}
}

// TestImportedModelFineTunes saves the imported Lightning as a run and fine-tunes it with
// train.Run (the train command's library) for a few steps on a small synthetic dataset at 64×64,
// initialised from the run's checkpoint: the weights move, the loss is finite, and the fine-tuned
// run loads like any other.
func TestImportedModelFineTunes(t *testing.T) {
	m := lightning(t)
	runDir := filepath.Join(t.TempDir(), "lightning")
	if err := m.WriteRun(runDir); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteRun(runDir); err == nil {
		t.Error("WriteRun over a run: no error")
	}
	imported, err := train.LoadTrained(runDir)
	if err != nil {
		t.Fatal(err)
	}
	data := testkit.SynthData(t, testkit.Synth{Size: 96, MinPeople: 1, MaxPeople: 1, Images: 8, Seed: 8})
	cfg, err := train.ReadRunConfig(runDir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.InputW, cfg.InputH, cfg.Steps, cfg.BatchSize, cfg.LR = 64, 64, 3, 2, 1e-3
	cfg.CheckpointEvery, cfg.ValidateEvery, cfg.FlipTest = 0, 0, false
	out := filepath.Join(t.TempDir(), "tuned")
	sum, err := train.Run(context.Background(), cfg, train.Options{DataDir: data, OutDir: out, Net: imported.Net,
		Init: filepath.Join(runDir, train.CheckpointFile)})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Steps != 3 || math.IsNaN(sum.Loss) || math.IsInf(sum.Loss, 0) {
		t.Fatalf("summary %+v", sum)
	}
	tuned, err := train.LoadTrained(out)
	if err != nil {
		t.Fatal(err)
	}
	x := testkit.RandomImages(3, 1, 64, 64, 3)
	before := heads(t, imported.Net, imported.Store, x)
	after := heads(t, tuned.Net, tuned.Store, x)
	d := maxAbsDiff(before, after)
	t.Logf("loss %.4g after %d steps; heatmaps moved by up to %.3g", sum.Loss, sum.Steps, d)
	if d == 0 {
		t.Error("fine-tuning left the heatmaps unchanged")
	}
}

// TestImportedModelPrunes removes a quarter of the imported Lightning's prunable channel groups
// (package compress's plan, the compress command's pruning): the rebuilt smaller network gives
// what the original with those channels masked gives.
func TestImportedModelPrunes(t *testing.T) {
	m := lightning(t)
	plan, err := compress.PlanChannels(m.Net, m.Store, compress.ChannelOptions{Criterion: compress.L1Norm, Ratio: 0.25, MinChannels: 8})
	if err != nil {
		t.Fatal(err)
	}
	small, smallStore, err := plan.Prune(m.Store, "")
	if err != nil {
		t.Fatal(err)
	}
	masked, err := plan.Mask(m.Store, "")
	if err != nil {
		t.Fatal(err)
	}
	x := testkit.RandomImages(4, 1, 64, 64, 3)
	want := heads(t, m.Net, masked, x)
	got := heads(t, small, smallStore, x)
	d := maxAbsDiff(got, want)
	t.Logf("%d channels removed: %d → %d parameters; max |pruned − masked| %.2g", plan.Count(), m.Net.Params(), small.Params(), d)
	if plan.Count() == 0 || small.Params() >= m.Net.Params() {
		t.Errorf("nothing pruned")
	}
	if d > 1e-4 {
		t.Errorf("the pruned network differs from the masked one by %.2g", d)
	}
}

// TestImportedModelQuantizes fake-quantizes the imported Lightning's weights to int8 per channel
// (the compress command's weight quantization): the heatmaps stay within a few hundredths.
func TestImportedModelQuantizes(t *testing.T) {
	m := lightning(t)
	pred, err := compress.NewQuantPredictor(testkit.Backend(t), m.Store, m.Net, compress.QuantSpec{Weights: true})
	if err != nil {
		t.Fatal(err)
	}
	x := testkit.RandomImages(5, 1, 64, 64, 3)
	q, err := pred.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](q.Heatmaps)
	want := heads(t, m.Net, m.Store, x)
	d := maxAbsDiff(got, want)
	t.Logf("max |int8 − float| heatmap %.3g", d)
	if d == 0 || d > 0.05 {
		t.Errorf("int8 weights moved the heatmaps by %.3g, want (0, 0.05]", d)
	}
}

// TestEstimateOnBox runs Lightning on the square crop around a person's box in a real photo (the
// crop the teacher labels and the training pipeline makes): the keypoints, mapped back to image
// pixels, are where MoveNet's own pipeline (crop and track) puts them.
func TestEstimateOnBox(t *testing.T) {
	img := testkit.Photo(t, photo)
	e, err := movenet.Open(testkit.Backend(t), testkit.MoveNetCache(t), movenet.Lightning)
	if err != nil {
		t.Fatal(err)
	}
	people, err := e.Estimate(context.Background(), img)
	if err != nil || len(people) != 1 {
		t.Fatalf("Estimate: %d people, %v", len(people), err)
	}
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range people[0].Keypoints {
		x0, y0, x1, y1 = math.Min(x0, p[0]), math.Min(y0, p[1]), math.Max(x1, p[0]), math.Max(y1, p[1])
	}
	box := [4]float64{x0, y0, x1 - x0, y1 - y0}
	r := boxRegion(box, img.Bounds().Dx(), img.Bounds().Dy())
	if side := (r.YMax - r.YMin) * float64(img.Bounds().Dy()); math.Abs(side-1.25*max(box[2], box[3])) > 1e-6 {
		t.Errorf("crop side %g px, want 1.25 × %g", side, max(box[2], box[3]))
	}
	kps, _, err := estimate(context.Background(), e, img, box)
	if err != nil {
		t.Fatal(err)
	}
	confident := 0
	for k, p := range kps {
		q := people[0].Keypoints[k]
		if p[2] < teacherMinScore || q[2] < teacherMinScore {
			continue
		}
		confident++
		if d := math.Hypot(p[0]-q[0], p[1]-q[1]); d > 0.05*max(box[2], box[3]) {
			t.Errorf("keypoint %d at (%.0f, %.0f), MoveNet's pipeline says (%.0f, %.0f)", k, p[0], p[1], q[0], q[1])
		}
	}
	t.Logf("box %.0f; %d keypoints confident in both", box, confident)
	if confident < 8 {
		t.Errorf("%d keypoints confident in both, want most of 17", confident)
	}
}

// TestImportedBlazePosePrunes plans and applies channel pruning to BlazePose heavy, whose
// shortcuts widen through channel padding (kept whole), and checks the smaller description is
// valid at the model's input size. (Its values are checked on Lightning above: heavy is slow.)
func TestImportedBlazePosePrunes(t *testing.T) {
	m, err := Import(context.Background(), testkit.Backend(t), testkit.BlazePoseCache(t), "blazepose-heavy")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := compress.PlanChannels(m.Net, m.Store, compress.ChannelOptions{Criterion: compress.L1Norm, Ratio: 0.25, MinChannels: 8})
	if err != nil {
		t.Fatal(err)
	}
	small, _, err := plan.Prune(m.Store, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := small.Shapes(256, 256); err != nil {
		t.Fatalf("pruned description: %v", err)
	}
	t.Logf("%d channels removed: %.2fM → %.2fM parameters", plan.Count(), float64(m.Net.Params())/1e6, float64(small.Params())/1e6)
	if plan.Count() == 0 || small.Params() >= m.Net.Params() {
		t.Error("nothing pruned")
	}
}
