package compress

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
)

// NewQuantPredictor returns a predictor of net with the variables in store that runs it in
// inference mode with fake-quantized activations (and weights, as spec says): the Go counterpart
// of a QDQ ONNX model. For the int8 model of post-training quantization give it the network and
// store of export.FoldBatchNorm(net, store, scope, true) and a spec with the calibrated
// activations. Not safe for concurrent use.
func NewQuantPredictor(backend compute.Backend, store *model.Store, net *nets.Net, spec QuantSpec) (*nets.Predictor, error) {
	if err := checkSpec(net, spec); err != nil {
		return nil, err
	}
	spec.STE = false
	p, err := nets.NewPredictorWith(backend, store, net, func(scope *model.Scope, images *graph.Node) (nets.Outputs, error) {
		out, _, err := BuildQuantized(scope, net, images, false, spec)
		return out, err
	})
	if err != nil {
		return nil, fmt.Errorf("quant %w", err)
	}
	return p, nil
}
