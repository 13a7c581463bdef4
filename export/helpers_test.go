package export

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/export/ortnode"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/nets/layers"
)

// allOpsNet is a small network with every layer kind, activation and resize mode.
func allOpsNet() *nets.Net {
	L := func(l nets.Layer) nets.Layer { return l }
	return &nets.Net{
		Name: "allops", InputChannels: 3, InputMultiple: 4, Joints: 3,
		Layers: []nets.Layer{
			L(nets.Layer{Name: "stem", Op: nets.OpConv, Inputs: []string{nets.Input}, Out: 8, Kernel: 3, Stride: 2, BN: true, Act: layers.ReLU6}),
			L(nets.Layer{Name: "pool", Op: nets.OpMaxPool, Inputs: []string{"stem"}, Kernel: 3, Stride: 2}),
			L(nets.Layer{Name: "dw", Op: nets.OpConv, Inputs: []string{"pool"}, Out: 8, Kernel: 3, Groups: 8, BN: true, Act: layers.ReLU}),
			L(nets.Layer{Name: "grouped", Op: nets.OpConv, Inputs: []string{"dw"}, Out: 8, Kernel: 3, Groups: 2, Bias: true, BN: true}),
			L(nets.Layer{Name: "sum", Op: nets.OpAdd, Inputs: []string{"pool", "grouped", "dw"}, Act: layers.ReLU}),
			L(nets.Layer{Name: "pw", Op: nets.OpConv, Inputs: []string{"sum"}, Out: 6, Kernel: 1, Bias: true, Act: layers.Sigmoid}),
			L(nets.Layer{Name: "cat", Op: nets.OpConcat, Inputs: []string{"sum", "pw"}}),
			L(nets.Layer{Name: "up", Op: nets.OpUpsample, Inputs: []string{"cat"}, Resize: layers.Bilinear}),
			L(nets.Layer{Name: "down", Op: nets.OpConv, Inputs: []string{"up"}, Out: 12, Kernel: 5, Stride: 2, BN: true, Act: layers.ReLU}),
			L(nets.Layer{Name: "deconv", Op: nets.OpDeconv, Inputs: []string{"down"}, Out: 6, Bias: true, BN: true, Act: layers.ReLU}),
			L(nets.Layer{Name: "near", Op: nets.OpUpsample, Inputs: []string{"down"}, Resize: layers.Nearest}),
			L(nets.Layer{Name: "pool2", Op: nets.OpMaxPool, Inputs: []string{"near"}, Kernel: 3, Stride: 2}),
			L(nets.Layer{Name: "deconv2", Op: nets.OpDeconv, Inputs: []string{"pool2"}, Out: 4}),
			L(nets.Layer{Name: "mix", Op: nets.OpConcat, Inputs: []string{"deconv", "deconv2"}}),
			L(nets.Layer{Name: "heatmaps", Op: nets.OpConv, Inputs: []string{"mix"}, Out: 3, Kernel: 1, Bias: true}),
			L(nets.Layer{Name: "mask", Op: nets.OpConv, Inputs: []string{"mix"}, Out: 1, Kernel: 3, Bias: true}),
		},
		Heads: nets.Heads{Heatmaps: "heatmaps", Mask: "mask"},
	}
}

// testNets returns small configurations of every catalog architecture plus allOpsNet, with the input
// size to test them at.
func testNets(t testing.TB) map[string]struct {
	net  *nets.Net
	h, w int
} {
	t.Helper()
	out := map[string]struct {
		net  *nets.Net
		h, w int
	}{"allops": {allOpsNet(), 16, 24}}
	add := func(name string, h, w int, n *nets.Net, err error) {
		if err != nil {
			t.Fatal(err)
		}
		out[name] = struct {
			net  *nets.Net
			h, w int
		}{n, h, w}
	}
	n, err := nets.MoVNect(nets.MoVNectOptions{Width: 0.25, HeadChannels: 16, Joints: 5, Locations: true})
	add("movnect-tiny-3d", 32, 48, n, err)
	n, err = nets.MobileNetV2Pose(nets.MobileNetV2Options{Width: 0.25, HeadChannels: 8, Joints: 5, DeconvHead: true})
	add("mobilenetv2-tiny-deconv", 32, 32, n, err)
	n, err = nets.SimpleBaseline(nets.SimpleBaselineOptions{Depth: 18, Width: 0.125, HeadChannels: 16, Joints: 5, Mask: true})
	add("simplebaseline-tiny-mask", 32, 32, n, err)
	return out
}

// goBackend returns the pure-Go backend shared by the tests.
func goBackend(t testing.TB) compute.Backend { return testkit.Backend(t) }

// randomImages returns a seeded [n, h, w, c] tensor of values in [−1, 1).
func randomImages(seed uint64, n, h, w, c int) *tensors.Tensor {
	return testkit.RandomImages(seed, n, h, w, c)
}

// randomStore initializes the variables of net (by running it once) and then randomizes batch norm
// statistics and biases, so that folding them is exercised.
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

// predict runs net with store's weights on images and returns the heads by output name.
func predict(t testing.TB, backend compute.Backend, net *nets.Net, store *model.Store, images *tensors.Tensor) map[string]*tensors.Tensor {
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
	out := map[string]*tensors.Tensor{"heatmaps": pred.Heatmaps}
	if pred.Locations != nil {
		out["locations"] = pred.Locations
	}
	if pred.Mask != nil {
		out["mask"] = pred.Mask
	}
	return out
}

// ortRunner returns the ONNX Runtime runner, or skips the test.
func ortRunner(t testing.TB) *ortnode.Runner {
	t.Helper()
	r, err := ortnode.Find()
	if err != nil {
		t.Skip(err)
	}
	return r
}

// runORT runs the ONNX model in ONNX Runtime on images (raw float32 with dims), timing iterations
// extra runs.
func runORT(t testing.TB, modelBytes []byte, images []float32, dims []int, iterations int) *ortnode.Result {
	t.Helper()
	r := ortRunner(t)
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(path, modelBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background(), path, images, dims, iterations)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// relMaxDiff returns max|a−b| / max(1e-6, max|b|).
func relMaxDiff(a, b []float32) float64 {
	var d, m float64
	for i := range b {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
		m = max(m, math.Abs(float64(b[i])))
	}
	return d / max(m, 1e-6)
}
