package compress

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/posedistill/posedistill/export"
)

// FakeQuantActivation returns x quantized to the uint8 codes of q and dequantized, as ONNX's
// QuantizeLinear followed by DequantizeLinear compute it (float32 division, rounding half to even,
// saturation to [0, 255]). With ste, the gradient is the clipped straight-through estimator: 1 where
// x lies inside q's range and 0 where it saturates; without it the node is the exact dequantized value
// (for inference).
func FakeQuantActivation(x *graph.Node, q export.ActQuant, ste bool) (*graph.Node, error) {
	if !q.Valid() {
		return nil, fmt.Errorf("fake quant activation: invalid scale %g", q.Scale)
	}
	g := x.Graph()
	scale := graph.Scalar(g, x.DType(), q.Scale)
	zero := float64(q.Zero)
	v := x
	if ste {
		v = graph.StopGradient(x)
	}
	codes := graph.ClipScalar(graph.AddScalar(graph.Round(graph.Div(v, scale)), zero), 0, 255)
	y := graph.Mul(graph.AddScalar(codes, -zero), scale)
	if !ste {
		return y, nil
	}
	lo, hi := q.Range()
	clipped := graph.ClipScalar(x, float64(lo), float64(hi))
	return graph.Add(clipped, graph.StopGradient(graph.Sub(y, clipped))), nil
}
