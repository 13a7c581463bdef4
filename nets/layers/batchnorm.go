package layers

import (
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Batch-norm constants, with PyTorch's semantics so that weights move between the two unchanged.
const (
	// BNScope is the sub-scope holding a layer's batch-norm variables.
	BNScope = "bn"
	// BNEpsilon is added to the variance before the square root.
	BNEpsilon = 1e-5
	// BNMomentum is the weight of the current batch in the running mean and variance.
	BNMomentum = 0.1
)

// bnVariables are the four per-channel batch-norm variables of one layer.
type bnVariables struct {
	scale, offset, mean, variance *model.Variable
}

// newBNVariables creates (or finds) the batch-norm variables for c channels under scope/bn.
func newBNVariables(scope *model.Scope, dtype shapes.Shape) bnVariables {
	s := scope.At(BNScope)
	return bnVariables{
		scale:    s.WithInitializer(initializer.One).VariableWithShape("scale", dtype),
		offset:   s.WithInitializer(initializer.Zero).VariableWithShape("offset", dtype),
		mean:     s.WithInitializer(initializer.Zero).VariableWithShape("mean", dtype).SetTrainable(false),
		variance: s.WithInitializer(initializer.One).VariableWithShape("variance", dtype).SetTrainable(false),
	}
}

// train normalizes the NHWC tensor y with its batch statistics (differentiated through, as in
// PyTorch) and records the update of the running statistics in the graph.
func (v bnVariables) train(y *graph.Node) *graph.Node {
	g := y.Graph()
	dims := y.Shape().Dimensions
	count := dims[0] * dims[1] * dims[2]
	mean := graph.ReduceMean(y, 0, 1, 2)
	centered := graph.Sub(y, channelVector(mean))
	variance := graph.ReduceMean(graph.Square(centered), 0, 1, 2)
	invStd := graph.Reciprocal(graph.Sqrt(graph.AddScalar(variance, BNEpsilon)))
	out := graph.Mul(centered, channelVector(graph.Mul(invStd, v.scale.NodeValue(g))))
	out = graph.Add(out, channelVector(v.offset.NodeValue(g)))

	unbiased := graph.StopGradient(variance)
	if count > 1 {
		unbiased = graph.MulScalar(unbiased, float64(count)/float64(count-1))
	}
	v.mean.SetNodeValue(graph.Add(
		graph.MulScalar(v.mean.NodeValue(g), 1-BNMomentum), graph.MulScalar(graph.StopGradient(mean), BNMomentum)))
	v.variance.SetNodeValue(graph.Add(
		graph.MulScalar(v.variance.NodeValue(g), 1-BNMomentum), graph.MulScalar(unbiased, BNMomentum)))
	return out
}

// fold returns the per-channel (a, b) such that inference batch norm is y·a + b.
func (v bnVariables) fold(g *graph.Graph) (a, b *graph.Node) {
	a = graph.Mul(v.scale.NodeValue(g), graph.Reciprocal(graph.Sqrt(graph.AddScalar(v.variance.NodeValue(g), BNEpsilon))))
	b = graph.Sub(v.offset.NodeValue(g), graph.Mul(v.mean.NodeValue(g), a))
	return a, b
}
