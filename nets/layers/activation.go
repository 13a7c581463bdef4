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
