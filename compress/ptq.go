package compress

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/nets"
)

// PTQModel is a network quantized after training: batch norm folded, int8 weights (symmetric, per
// output channel, as export.Folded.Int8) and uint8 activations (per tensor, from calibrated ranges).
// Net and Store hold the folded network with its dequantized int8 weights.
type PTQModel struct {
	Net         *nets.Net
	Store       *model.Store
	Activations map[string]export.ActQuant
}

// PostTrainingQuant returns the int8 model of net (weights in store under scope) with the activation
// ranges of a calibration (Calibration.MinMax or Calibration.Percentile); every tensor the network
// computes, and its input, must have a range.
func PostTrainingQuant(net *nets.Net, store *model.Store, scope string, ranges map[string]ActRange) (*PTQModel, error) {
	for _, name := range append([]string{nets.Input}, layerList(net)...) {
		if _, ok := ranges[name]; !ok {
			return nil, fmt.Errorf("post-training quantization of %s: no range for %q", net.Name, name)
		}
	}
	acts, err := ActQuants(ranges)
	if err != nil {
		return nil, fmt.Errorf("post-training quantization of %s: %w", net.Name, err)
	}
	return NewPTQModel(net, store, scope, acts)
}

// NewPTQModel returns the int8 model of net (weights in store under scope) with the given activation
// quantization, e.g. that of a PTQModel whose weights were then fine-tuned quantization-aware.
func NewPTQModel(net *nets.Net, store *model.Store, scope string, acts map[string]export.ActQuant) (*PTQModel, error) {
	fn, fs, err := export.FoldBatchNorm(net, store, scope, true)
	if err != nil {
		return nil, fmt.Errorf("post-training quantization: %w", err)
	}
	if err := checkSpec(fn, QuantSpec{Activations: acts}); err != nil {
		return nil, err
	}
	return &PTQModel{Net: fn, Store: fs, Activations: acts}, nil
}

// Predictor returns the Go fake-quant predictor of the model.
func (m *PTQModel) Predictor(backend compute.Backend) (*nets.Predictor, error) {
	return NewQuantPredictor(backend, m.Store, m.Net, QuantSpec{Activations: m.Activations})
}

// WriteONNX writes the model as a QDQ ONNX file (int8 weights, Q/DQ pairs after every layer and the
// input); opt gives the sizes and layout, its quantization fields are set here.
func (m *PTQModel) WriteONNX(path string, opt export.ONNXOptions) error {
	opt.Scope, opt.Int8Weights, opt.Activations = "", true, m.Activations
	return export.WriteONNX(path, m.Net, m.Store, opt)
}

func layerList(net *nets.Net) []string {
	out := make([]string, len(net.Layers))
	for i, l := range net.Layers {
		out[i] = l.Name
	}
	return out
}
