package export

import (
	"fmt"

	"github.com/gomlx/compute-onnx/support/protos"
	"github.com/posedistill/posedistill/nets"
)

// qdq appends a QuantizeLinear / DequantizeLinear pair (uint8, per tensor) after x and returns the
// dequantized value's name.
func (b *onnxGraph) qdq(name, x string, q ActQuant) (string, error) {
	if !q.Valid() {
		return "", fmt.Errorf("activation %s: invalid scale %g", name, q.Scale)
	}
	scale := b.initializer(name+".act_scale", []float32{q.Scale})
	zero := b.unique(name + ".act_zero")
	b.g.Initializer = append(b.g.Initializer, &protos.TensorProto{
		Name: zero, DataType: int32(protos.TensorProto_UINT8), RawData: []byte{q.Zero},
	})
	quant := b.node("QuantizeLinear", name+"_quant", []string{x, scale, zero})
	return b.node("DequantizeLinear", name+"_dequant", []string{quant, scale, zero}), nil
}

// checkActivations reports an activation key that names neither a layer of net nor its input.
func checkActivations(net *nets.Net, acts map[string]ActQuant) error {
	if len(acts) == 0 {
		return nil
	}
	names := map[string]bool{nets.Input: true}
	for _, l := range net.Layers {
		names[l.Name] = true
	}
	for k := range acts {
		if !names[k] {
			return fmt.Errorf("activation quantization for %q: no such layer", k)
		}
	}
	return nil
}
