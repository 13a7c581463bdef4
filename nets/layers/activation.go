package layers

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
)

// Activation names an element-wise non-linearity applied after a layer.
type Activation string

const (
	// Linear is the identity (no activation).
	Linear Activation = ""
	// ReLU is max(x, 0).
	ReLU Activation = "relu"
	// ReLU6 is min(max(x, 0), 6), as in MobileNetV2.
	ReLU6 Activation = "relu6"
	// Sigmoid is 1/(1+exp(-x)).
	Sigmoid Activation = "sigmoid"
)

// Valid reports whether a is one of the known activations.
func (a Activation) Valid() bool {
	switch a {
	case Linear, ReLU, ReLU6, Sigmoid:
		return true
	}
	return false
}

// Apply returns act(x). It panics on an unknown activation (check with Valid first).
func Apply(act Activation, x *graph.Node) *graph.Node {
	switch act {
	case Linear:
		return x
	case ReLU:
		return graph.MaxScalar(x, 0)
	case ReLU6:
		return graph.ClipScalar(x, 0, 6)
	case Sigmoid:
		return graph.Sigmoid(x)
	}
	panic(fmt.Sprintf("layers: unknown activation %q", string(act)))
}

// activate returns Apply(act, x). On the go backend ReLU and ReLU6 are the backend's FusedActivation
// op (see nativeActivations). Elsewhere, with custom set, ReLU and ReLU6 get a hand-written gradient (see
// customGradient): v where the input is strictly inside the linear range (as PyTorch), else 0, from a
// 0/1 mask made of the go backend's vectorized ops only. The mask is read off the output r, which has
// the same linear range (0 < r for ReLU, 0 < r < 6 for ReLU6): sign(r) for ReLU and sign(r·(6 − r)) for
// ReLU6 (r·(6 − r) ≥ 0 there), two and four element-wise passes with the multiply by v, where GoMLX
// derives Max and Min through sign indicators in about five passes each. Reading the output keeps the
// input with a single consumer (an identity node copies an input that has others).
func activate(act Activation, x *graph.Node, custom bool) *graph.Node {
	if (act == ReLU || act == ReLU6) && nativeActivations(x.Graph()) {
		// One pass forward and one backward (GoMLX derives FusedActivation with FusedActivationVJP,
		// which the go backend reads off the output).
		cfg := compute.ActivationConfig{Type: compute.ActivationRelu}
		if act == ReLU6 {
			cfg.Type = compute.ActivationRelu6 // posedistill's fork of gomlx/compute (FORK.md)
		}
		return graph.BackendFusedActivation(x, cfg)
	}
	if !custom || (act != ReLU && act != ReLU6) {
		return Apply(act, x)
	}
	forward := func(inputs []*graph.Node, zero *graph.Node) *graph.Node {
		y := graph.Max(inputs[0], zero)
		if act == ReLU6 {
			y = graph.Min(y, graph.AddScalar(zero, 6))
		}
		return y
	}
	var r *graph.Node // the output, set before GoMLX calls backward
	backward := func(_ []*graph.Node, v *graph.Node) []*graph.Node {
		inside := r // ReLU: r > 0
		if act == ReLU6 {
			// 0 < r < 6 ⟺ r·(6 − r) > 0
			inside = graph.Mul(r, graph.Sub(graph.Scalar(r.Graph(), r.DType(), 6), r))
		}
		return []*graph.Node{graph.Mul(v, graph.Sign(inside))}
	}
	r = customGradient([]*graph.Node{x}, forward, backward)
	return r
}

// nativeActivations reports whether ReLU and ReLU6 in g should be the backend's FusedActivation op:
// on the go backend, whose ReLU6 is posedistill's (plainBatchNorm switches both off, for tests that
// compare with the plain-op graph).
func nativeActivations(g *graph.Graph) bool {
	return nativeBatchNorm(g)
}
