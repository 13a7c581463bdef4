package export

import (
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/nets/layers"
)

// TestONNXImportedLayerKinds exports a network with the layer kinds of imported TensorFlow models
// — SAME padding, 2×2 stride-2 max pooling, channel padding into a residual sum, a 4×4 VALID
// convolution into a vector (an extra head, ONNX output extra0) — and checks ONNX Runtime's
// heatmaps and extra head against the network built by nets.
func TestONNXImportedLayerKinds(t *testing.T) {
	ortRunner(t)
	backend := goBackend(t)
	net := &nets.Net{
		Name: "imported-like", InputChannels: 3, InputMultiple: 16, Joints: 5,
		Layers: []nets.Layer{
			{Name: "stem", Op: nets.OpConv, Inputs: []string{nets.Input}, Out: 8, Kernel: 3, Stride: 2, Bias: true, Act: layers.ReLU6, Pad: nets.PadSame},
			{Name: "dw", Op: nets.OpConv, Inputs: []string{"stem"}, Out: 8, Kernel: 3, Stride: 2, Groups: 8, Bias: true, Act: layers.ReLU6, Pad: nets.PadSame},
			{Name: "pw", Op: nets.OpConv, Inputs: []string{"dw"}, Out: 12, Kernel: 1, BN: true},
			{Name: "pool", Op: nets.OpMaxPool, Inputs: []string{"stem"}, Kernel: 2, Stride: 2},
			{Name: "widen", Op: nets.OpPad, Inputs: []string{"pool"}, Out: 12},
			{Name: "sum", Op: nets.OpAdd, Inputs: []string{"widen", "pw"}, Act: layers.ReLU6},
			{Name: "heatmaps", Op: nets.OpConv, Inputs: []string{"sum"}, Out: 5, Kernel: 1, Bias: true},
			{Name: "vector", Op: nets.OpConv, Inputs: []string{"sum"}, Out: 6, Kernel: 4, Pad: nets.PadValid, Bias: true, Act: layers.Sigmoid},
		},
		Heads: nets.Heads{Heatmaps: "heatmaps", Extra: []string{"vector"}},
	}
	store := randomStore(t, backend, net, 4)
	images := randomImages(6, 2, 16, 16, 3)
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *graph.Node) []*graph.Node {
		out, err := nets.Build(scope, net, x, false)
		if err != nil {
			panic(err)
		}
		return []*graph.Node{out.Heatmaps, out.Extra[0]}
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := exec.Call(images)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ONNX(net, store, ONNXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := runORT(t, b, tensors.MustCopyFlatData[float32](images), []int{2, 16, 16, 3}, 0)
	for i, name := range []string{"heatmaps", "extra0"} {
		g, ok := got.Outputs[name]
		if !ok {
			t.Fatalf("ONNX Runtime outputs %v, no %q", got.Dims, name)
		}
		d := relMaxDiff(g, tensors.MustCopyFlatData[float32](want[i]))
		t.Logf("%s %v: max relative difference %.2g", name, got.Dims[name], d)
		if d > onnxTolerance {
			t.Errorf("%s: ONNX Runtime differs from nets by %.3g (relative)", name, d)
		}
	}
}
