package compress

import (
	"math"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/nets/layers"
)

// allOpsNet is a small network with every layer kind: a prunable 5×5 conv feeding a deconv directly
// and through upsampling and max pooling, a prunable deconv feeding a concat, and locked channels
// (grouped conv, sigmoid, heads).
func allOpsNet() *nets.Net {
	return &nets.Net{
		Name: "allops", InputChannels: 3, InputMultiple: 4, Joints: 3,
		Layers: []nets.Layer{
			{Name: "stem", Op: nets.OpConv, Inputs: []string{nets.Input}, Out: 8, Kernel: 3, Stride: 2, BN: true, Act: layers.ReLU6},
			{Name: "pool", Op: nets.OpMaxPool, Inputs: []string{"stem"}, Kernel: 3, Stride: 2},
			{Name: "dw", Op: nets.OpConv, Inputs: []string{"pool"}, Out: 8, Kernel: 3, Groups: 8, BN: true, Act: layers.ReLU},
			{Name: "grouped", Op: nets.OpConv, Inputs: []string{"dw"}, Out: 8, Kernel: 3, Groups: 2, Bias: true, BN: true},
			{Name: "sum", Op: nets.OpAdd, Inputs: []string{"pool", "grouped", "dw"}, Act: layers.ReLU},
			{Name: "pw", Op: nets.OpConv, Inputs: []string{"sum"}, Out: 6, Kernel: 1, Bias: true, Act: layers.Sigmoid},
			{Name: "cat", Op: nets.OpConcat, Inputs: []string{"sum", "pw"}},
			{Name: "up", Op: nets.OpUpsample, Inputs: []string{"cat"}, Resize: layers.Bilinear},
			{Name: "down", Op: nets.OpConv, Inputs: []string{"up"}, Out: 12, Kernel: 5, Stride: 2, BN: true, Act: layers.ReLU},
			{Name: "deconv", Op: nets.OpDeconv, Inputs: []string{"down"}, Out: 6, Bias: true, BN: true, Act: layers.ReLU},
			{Name: "near", Op: nets.OpUpsample, Inputs: []string{"down"}, Resize: layers.Nearest},
			{Name: "pool2", Op: nets.OpMaxPool, Inputs: []string{"near"}, Kernel: 3, Stride: 2},
			{Name: "deconv2", Op: nets.OpDeconv, Inputs: []string{"pool2"}, Out: 4},
			{Name: "mix", Op: nets.OpConcat, Inputs: []string{"deconv", "deconv2"}},
			{Name: "heatmaps", Op: nets.OpConv, Inputs: []string{"mix"}, Out: 3, Kernel: 1, Bias: true},
			{Name: "mask", Op: nets.OpConv, Inputs: []string{"mix"}, Out: 1, Kernel: 3, Bias: true},
		},
		Heads: nets.Heads{Heatmaps: "heatmaps", Mask: "mask"},
	}
}

// importedLikeNet has the layer kinds of networks imported from TensorFlow models (BlazePose):
// TensorFlow SAME padding, a shortcut through 2×2 stride-2 max pooling and channel padding into a
// residual sum, and a 4×4 VALID convolution of the last feature map into a vector (an extra head).
func importedLikeNet() *nets.Net {
	return &nets.Net{
		Name: "imported-like", InputChannels: 3, InputMultiple: 16, Joints: 5,
		Layers: []nets.Layer{
			{Name: "stem", Op: nets.OpConv, Inputs: []string{nets.Input}, Out: 8, Kernel: 3, Stride: 2, Bias: true, Act: layers.ReLU6, Pad: nets.PadSame},
			{Name: "dw", Op: nets.OpConv, Inputs: []string{"stem"}, Out: 8, Kernel: 3, Stride: 2, Groups: 8, Bias: true, Act: layers.ReLU6, Pad: nets.PadSame},
			{Name: "pw", Op: nets.OpConv, Inputs: []string{"dw"}, Out: 12, Kernel: 1, BN: true},
			{Name: "pool", Op: nets.OpMaxPool, Inputs: []string{"stem"}, Kernel: 2, Stride: 2},
			{Name: "widen", Op: nets.OpPad, Inputs: []string{"pool"}, Out: 12},
			{Name: "sum", Op: nets.OpAdd, Inputs: []string{"widen", "pw"}, Act: layers.ReLU6},
			{Name: "mid", Op: nets.OpConv, Inputs: []string{"sum"}, Out: 12, Kernel: 3, BN: true, Act: layers.ReLU},
			{Name: "heatmaps", Op: nets.OpConv, Inputs: []string{"mid"}, Out: 5, Kernel: 1, Bias: true},
			{Name: "vector", Op: nets.OpConv, Inputs: []string{"mid"}, Out: 6, Kernel: 4, Pad: nets.PadValid, Bias: true},
		},
		Heads: nets.Heads{Heatmaps: "heatmaps", Extra: []string{"vector"}},
	}
}

// testCase is a network and the input size to run it at.
type testCase struct {
	net  *nets.Net
	h, w int
}

// testNets returns allOpsNet and small configurations of the catalog architectures.
func testNets(t testing.TB) map[string]testCase {
	t.Helper()
	out := map[string]testCase{"allops": {allOpsNet(), 16, 16}, "imported-like": {importedLikeNet(), 16, 16}}
	must := func(name string, h, w int, n *nets.Net, err error) {
		if err != nil {
			t.Fatal(err)
		}
		out[name] = testCase{n, h, w}
	}
	n, err := nets.MoVNect(nets.MoVNectOptions{Width: 0.25, HeadChannels: 16, Joints: 5, Locations: true})
	must("movnect", 32, 32, n, err)
	n, err = nets.MobileNetV2Pose(nets.MobileNetV2Options{Width: 0.25, HeadChannels: 8, Joints: 5, DeconvHead: true})
	must("mobilenetv2-deconv", 32, 32, n, err)
	n, err = nets.SimpleBaseline(nets.SimpleBaselineOptions{Depth: 18, Width: 0.125, HeadChannels: 16, Joints: 5, Mask: true})
	must("simplebaseline-18", 32, 32, n, err)
	n, err = nets.SimpleBaseline(nets.SimpleBaselineOptions{Depth: 50, Width: 0.125, HeadChannels: 8, Joints: 5})
	must("simplebaseline-50", 32, 32, n, err)
	return out
}

// goBackend returns the pure-Go backend shared by the tests.
func goBackend(t testing.TB) compute.Backend { return testkit.Backend(t) }

// randomImages returns a seeded [n, h, w, c] tensor of values in [−1, 1).
func randomImages(seed uint64, n, h, w, c int) *tensors.Tensor {
	return testkit.RandomImages(seed, n, h, w, c)
}

// randomStore initializes net's variables and randomizes batch norm and biases.
func randomStore(t testing.TB, backend compute.Backend, net *nets.Net, seed uint64) *model.Store {
	t.Helper()
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(seed))
	p, err := nets.NewPredictor(backend, store, net)
	if err != nil {
		t.Fatal(err)
	}
	m := max(1, net.InputMultiple)
	if _, err := p.Predict(randomImages(seed, 1, m, m, net.InputChannels)); err != nil {
		t.Fatal(err)
	}
	p.Finalize()
	testkit.RandomizeStatistics(t, store, seed)
	return store
}

// predict returns the heads of net with store's weights on images, flattened, in the order
// heatmaps, locations, mask.
func predict(t testing.TB, backend compute.Backend, net *nets.Net, store *model.Store, images *tensors.Tensor) [][]float32 {
	t.Helper()
	p, err := nets.NewPredictor(backend, store, net)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Finalize()
	pred, err := p.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	return flatHeads(pred)
}

// flatHeads returns a prediction's heads, flattened, in the order heatmaps, locations, mask.
func flatHeads(pred nets.Prediction) [][]float32 {
	var out [][]float32
	for _, x := range []*tensors.Tensor{pred.Heatmaps, pred.Locations, pred.Mask} {
		if x != nil {
			out = append(out, tensors.MustCopyFlatData[float32](x))
		}
	}
	return out
}

// relDiff returns max|a−b| / max|b| over all heads.
func relDiff(a, b [][]float32) float64 {
	var d, m float64
	for h := range b {
		for i := range b[h] {
			d = max(d, math.Abs(float64(a[h][i])-float64(b[h][i])))
			m = max(m, math.Abs(float64(b[h][i])))
		}
	}
	return d / max(m, 1e-12)
}
