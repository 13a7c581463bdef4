package layers

import (
	"fmt"

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

// activate returns Apply(act, x); with custom set, ReLU and ReLU6 get a hand-written gradient (see
// customGradient): v where the input is strictly inside the linear range (as PyTorch), else 0, from a
// 0/1 mask made of the go backend's vectorized ops only (sign, max, multiply): three element-wise
// passes for ReLU and five for ReLU6, where GoMLX derives Max and Min through sign indicators in about
// five passes each. The mask is computed from the identity-wrapped input, so that the input keeps a
// single consumer (an identity node copies an input that has others).
func activate(act Activation, x *graph.Node, custom bool) *graph.Node {
	if !custom || (act != ReLU && act != ReLU6) {
		return Apply(act, x)
	}
	var in *graph.Node // the wrapped input
	forward := func(inputs []*graph.Node, zero *graph.Node) *graph.Node {
		in = inputs[0]
		y := graph.Max(in, zero)
		if act == ReLU6 {
			y = graph.Min(y, graph.AddScalar(zero, 6))
		}
		return y
	}
	backward := func(_ []*graph.Node, v *graph.Node) []*graph.Node {
		inside := in // ReLU: x > 0
		if act == ReLU6 {
			// 0 < x < 6 ⟺ x·(6 − x) > 0
			inside = graph.Mul(in, graph.Sub(graph.Scalar(in.Graph(), in.DType(), 6), in))
		}
		mask := graph.Sign(graph.MaxScalar(inside, 0))
		return []*graph.Node{graph.Mul(v, mask)}
	}
	return customGradient([]*graph.Node{x}, forward, backward)
}
