package compress

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
)

// QuantPredictor runs a network in inference mode with fake-quantized activations (and weights, as
// its QuantSpec says), the Go counterpart of a QDQ ONNX model. For the int8 model of post-training
// quantization give it the network and store of export.FoldBatchNorm(net, store, scope, true) and a
// spec with the calibrated activations. Not safe for concurrent use.
type QuantPredictor struct {
	net  *nets.Net
	exec *model.Exec
}

// NewQuantPredictor returns a predictor of net with the variables in store and spec's quantization.
func NewQuantPredictor(backend compute.Backend, store *model.Store, net *nets.Net, spec QuantSpec) (*QuantPredictor, error) {
	if err := checkSpec(net, spec); err != nil {
		return nil, err
	}
	spec.STE = false
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, images *graph.Node) []*graph.Node {
		out, _, err := BuildQuantized(scope, net, images, false, spec)
		if err != nil {
			panic(err)
		}
		return out.List()
	})
	if err != nil {
		return nil, fmt.Errorf("quant predictor %s: %w", net.Name, err)
	}
	return &QuantPredictor{net: net, exec: exec}, nil
}

// Predict runs the network on images, a float32 tensor [N, H, W, C].
func (p *QuantPredictor) Predict(images *tensors.Tensor) (nets.Prediction, error) {
	s := images.Shape()
	if s.Rank() != 4 || s.Dimensions[3] != p.net.InputChannels {
		return nets.Prediction{}, fmt.Errorf("predict %s: images shape %s, want [N, H, W, %d]", p.net.Name, s, p.net.InputChannels)
	}
	if _, err := p.net.Shapes(s.Dimensions[1], s.Dimensions[2]); err != nil {
		return nets.Prediction{}, fmt.Errorf("predict: %w", err)
	}
	outs, err := p.exec.Call(images)
	if err != nil {
		return nets.Prediction{}, fmt.Errorf("predict %s: %w", p.net.Name, err)
	}
	pred := nets.Prediction{Heatmaps: outs[0]}
	i := 1
	if p.net.Heads.Locations != "" && i < len(outs) {
		pred.Locations = outs[i]
		i++
	}
	if p.net.Heads.Mask != "" && i < len(outs) {
		pred.Mask = outs[i]
	}
	return pred, nil
}

// Finalize releases the compiled graphs.
func (p *QuantPredictor) Finalize() { p.exec.Finalize() }
