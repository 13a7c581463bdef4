package compress

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/nets"
)

// QuantSpec says what BuildQuantized fake-quantizes.
type QuantSpec struct {
	// Activations maps layer names, and nets.Input for the image, to the uint8 quantization of their
	// outputs (after the layer's activation function); layers not listed stay float32.
	Activations map[string]export.ActQuant
	// Weights fake-quantizes every conv and deconv kernel to int8, symmetric per output channel
	// (FakeQuant), with a straight-through gradient, before batch norm is applied or folded. Per
	// output channel, folding batch norm's scale afterwards gives the same codes as quantizing the
	// folded kernel, which is what export.FoldBatchNorm(…, true) and the int8 ONNX export store.
	Weights bool
	// STE makes activation fake quantization differentiable (clipped straight-through estimator), for
	// quantization-aware training; off, the outputs are exactly ONNX Runtime's Q/DQ values.
	STE bool
	// FreezeBN makes QuantModelFn build the network in inference mode even in a training graph:
	// batch norm uses (and keeps) its running statistics, folded into the kernels as the deployed
	// int8 model has them, while its scale and offset still train. Quantization-aware training
	// then optimizes the network that will run, not a batch-statistics version of it (Jacob et al.
	// 2018 freeze batch-norm statistics for the same reason).
	FreezeBN bool
}

// BuildQuantized builds net on images with nets.BuildWith — same layers, variables and scopes as
// nets.Build — with the fake quantization of spec, and returns the heads and every layer's output by
// name (plus nets.Input, the possibly quantized image). With a zero spec it computes exactly what
// nets.Build does.
func BuildQuantized(scope *model.Scope, net *nets.Net, images *graph.Node, training bool, spec QuantSpec) (out nets.Outputs, all map[string]*graph.Node, err error) {
	if err := checkSpec(net, spec); err != nil {
		return out, nil, err
	}
	input := images
	if q, ok := spec.Activations[nets.Input]; ok {
		if input, err = FakeQuantActivation(images, q, spec.STE); err != nil {
			return out, nil, fmt.Errorf("build quantized %s: input: %w", net.Name, err)
		}
	}
	all = map[string]*graph.Node{nets.Input: input}
	heads := map[string]bool{}
	for _, name := range net.Heads.Layers() {
		heads[name] = true
	}
	quantLayer := func(s *model.Scope, l *nets.Layer, ins []*graph.Node, build func() *graph.Node) *graph.Node {
		var restore func()
		if spec.Weights && (l.Op == nets.OpConv || l.Op == nets.OpDeconv) {
			restore = fakeQuantWeights(s, l, ins[0], heads[l.Name])
		}
		y := build()
		if restore != nil {
			restore()
		}
		if q, ok := spec.Activations[l.Name]; ok {
			var err error
			if y, err = FakeQuantActivation(y, q, spec.STE); err != nil {
				panic(fmt.Sprintf("layer %s: %v", l.Name, err))
			}
		}
		all[l.Name] = y
		return y
	}
	if out, err = nets.BuildWith(scope, net, input, training, nets.BuildOptions{Layer: quantLayer}); err != nil {
		return out, nil, fmt.Errorf("build quantized: %w", err)
	}
	return out, all, nil
}

// checkSpec reports activation keys that name no layer and invalid scales.
func checkSpec(net *nets.Net, spec QuantSpec) error {
	names := map[string]bool{nets.Input: true}
	for _, l := range net.Layers {
		names[l.Name] = true
	}
	for k, q := range spec.Activations {
		if !names[k] {
			return fmt.Errorf("build quantized %s: activation %q is not a layer", net.Name, k)
		}
		if !q.Valid() {
			return fmt.Errorf("build quantized %s: activation %q has scale %g", net.Name, k, q.Scale)
		}
	}
	return nil
}

// fakeQuantWeights makes the layer's "weights" variable read as its int8 fake quantization while the
// layer is built, and returns the function that restores the variable's own node afterwards (so
// that the optimizer updates, and the trainer stores, the float weights: only the forward pass sees
// the quantized ones, and gradients pass straight through to the float weights).
func fakeQuantWeights(scope *model.Scope, l *nets.Layer, x *graph.Node, head bool) func() {
	in := x.Shape().Dimensions[3]
	dims := []int{l.KernelSize(), l.KernelSize(), in / l.GroupCount(), l.Out}
	if l.Op == nets.OpDeconv {
		dims = []int{4, 4, in, l.Out}
	}
	// The same initializer as package layers, so that a missing variable starts where nets.Build
	// would start it.
	init := initializer.HeFn(scope)
	if head && l.Op == nets.OpConv {
		init = initializer.RandomNormalFn(scope, nets.HeadInitStd)
	}
	v := scope.WithInitializer(init).VariableWithShape("weights", shapes.Make(x.DType(), dims...))
	w := v.NodeValue(x.Graph())
	fq, err := FakeQuant(w, QuantOptions{Format: Int8, PerChannel: true})
	if err != nil {
		panic(err)
	}
	v.SetNodeValue(fq)
	return func() { v.SetNodeValue(w) }
}

// QuantModelFn returns a model function for net with spec's fake quantization, in the form of
// nets.ModelFn (train.NewTrainer, model.NewExec): heads in the order heatmaps, locations, mask,
// training mode when the graph is marked as training. It is the network of quantization-aware
// training: spec with Weights and STE, and the activation ranges of a calibration.
func QuantModelFn(net *nets.Net, spec QuantSpec) func(scope *model.Scope, images *graph.Node) []*graph.Node {
	return func(scope *model.Scope, images *graph.Node) []*graph.Node {
		training := scope.IsTraining(images.Graph()) && !spec.FreezeBN
		out, _, err := BuildQuantized(scope, net, images, training, spec)
		if err != nil {
			panic(err)
		}
		return out.List()
	}
}
