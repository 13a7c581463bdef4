package nets

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/modelcheck"
)

// ModelFn returns a GoMLX model function for net, in the form train.NewTrainer and model.NewExec
// accept: it builds the network on images [N, H, W, C] under scope, in training mode when the graph is
// marked as training (the Trainer does this), and returns the heads in the order heatmaps, then
// locations and mask when the net has them. Building errors panic inside graph construction, where
// GoMLX turns them into errors of the Exec or Trainer call.
func ModelFn(net *Net) func(scope *model.Scope, images *graph.Node) []*graph.Node {
	return func(scope *model.Scope, images *graph.Node) []*graph.Node {
		out, err := Build(scope, net, images, scope.IsTraining(images.Graph()))
		if err != nil {
			panic(err)
		}
		return out.List()
	}
}

// List returns the non-nil outputs in the order heatmaps, locations, mask, offsets, regression.
func (o Outputs) List() []*graph.Node {
	list := []*graph.Node{o.Heatmaps}
	for _, n := range []*graph.Node{o.Locations, o.Mask, o.Offsets, o.Regression} {
		if n != nil {
			list = append(list, n)
		}
	}
	return list
}

// Prediction holds the outputs of one inference call; Locations, Mask, Offsets and Regression are
// nil when the network has no such head.
type Prediction struct {
	Heatmaps   *tensors.Tensor // [N, H/4, W/4, Joints]
	Locations  *tensors.Tensor // [N, H/4, W/4, 3·Joints]
	Mask       *tensors.Tensor // [N, H/4, W/4, 1] logits
	Offsets    *tensors.Tensor // [N, H/4, W/4, 2·Joints] (Heads.Offsets)
	Regression *tensors.Tensor // [N, H/4, W/4, 2·Joints] (Heads.Regression)
}

// Predictor runs a network in inference mode (batch norm folded) with the weights of a model.Store.
// The graph is compiled once per input shape. A Predictor is not safe for concurrent use.
type Predictor struct {
	net  *Net
	exec *model.Exec
}

// NewPredictor returns a predictor for net with the variables in store (missing variables are
// initialized from the store's seed, model.ParamInitialSeed).
func NewPredictor(backend compute.Backend, store *model.Store, net *Net) (*Predictor, error) {
	return NewPredictorWith(backend, store, net, func(scope *model.Scope, images *graph.Node) (Outputs, error) {
		return Build(scope, net, images, false)
	})
}

// NewPredictorWith returns a predictor for net whose inference graph is built by build instead of
// Build (e.g. with fake-quantized activations); build's outputs must be net's heads.
func NewPredictorWith(backend compute.Backend, store *model.Store, net *Net, build func(scope *model.Scope, images *graph.Node) (Outputs, error)) (*Predictor, error) {
	if _, err := net.Shapes(8*max(1, net.InputMultiple), 8*max(1, net.InputMultiple)); err != nil {
		return nil, fmt.Errorf("predictor: %w", err)
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, images *graph.Node) []*graph.Node {
		out, err := build(scope, images)
		if err != nil {
			panic(err)
		}
		return out.List()
	})
	if err != nil {
		return nil, fmt.Errorf("predictor %s: %w", net.Name, err)
	}
	return &Predictor{net: net, exec: exec}, nil
}

// Predict runs the network on images, a float32 tensor [N, H, W, C].
func (p *Predictor) Predict(images *tensors.Tensor) (Prediction, error) {
	s := images.Shape()
	if s.Rank() != 4 || s.Dimensions[3] != p.net.InputChannels {
		return Prediction{}, fmt.Errorf("predict %s: images shape %s, want [N, H, W, %d]", p.net.Name, s, p.net.InputChannels)
	}
	if _, err := p.net.Shapes(s.Dimensions[1], s.Dimensions[2]); err != nil {
		return Prediction{}, fmt.Errorf("predict: %w", err)
	}
	outs, err := p.exec.Call(images)
	if err != nil {
		return Prediction{}, fmt.Errorf("predict %s: %w", p.net.Name, err)
	}
	for i, t := range outs {
		if t.DType() != dtypes.Float32 {
			continue
		}
		var ferr error
		if err := tensors.ConstFlatData(t, func(flat []float32) {
			ferr = modelcheck.Float32s(p.net.Name, fmt.Sprintf("%d (%s)", i, outputName(p.net, i)), flat)
		}); err == nil && ferr != nil {
			return Prediction{}, fmt.Errorf("predict: %w", ferr)
		}
	}
	pred := Prediction{Heatmaps: outs[0]}
	i := 1
	for _, h := range []struct {
		layer string
		dst   **tensors.Tensor
	}{{p.net.Heads.Locations, &pred.Locations}, {p.net.Heads.Mask, &pred.Mask},
		{p.net.Heads.Offsets, &pred.Offsets}, {p.net.Heads.Regression, &pred.Regression}} {
		if h.layer != "" && i < len(outs) {
			*h.dst = outs[i]
			i++
		}
	}
	return pred, nil
}

// outputName names a predictor's i-th output (heatmaps, then locations, mask, offsets and
// regression when present).
func outputName(net *Net, i int) string {
	names := []string{"heatmaps"}
	for _, h := range []struct{ layer, name string }{{net.Heads.Locations, "locations"}, {net.Heads.Mask, "mask"},
		{net.Heads.Offsets, "offsets"}, {net.Heads.Regression, "regression"}} {
		if h.layer != "" {
			names = append(names, h.name)
		}
	}
	if i < len(names) {
		return names[i]
	}
	return "extra"
}

// Finalize releases the compiled graphs.
func (p *Predictor) Finalize() { p.exec.Finalize() }
