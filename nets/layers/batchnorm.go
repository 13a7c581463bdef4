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
//
// On the go backend it is the backend's BatchNormForTraining op (see nativeBatchNorm). Elsewhere it
// is built from plain ops and its gradient is written by hand (see customGradient), in the textbook form
// dy = a·(v − mean(v) − x̂·mean(v·x̂)) with a = scale/σ and x̂ = (y − μ)/σ: two reductions and five
// element-wise passes, where GoMLX's own derivation of the forward graph takes about twice as many.
func (v bnVariables) train(y *graph.Node) *graph.Node {
	g := y.Graph()
	dims := y.Shape().Dimensions
	count := dims[0] * dims[1] * dims[2]
	var mean, variance, invStd, centered *graph.Node
	var out *graph.Node
	if nativeBatchNorm(g) {
		// One BatchNormForTraining op (two passes over y) and, in the gradient GoMLX builds for it,
		// one BatchNormGradient op (two passes over y and the adjoint): posedistill's fork of
		// gomlx/compute implements both for the go backend (third_party/gomlx-compute/FORK.md).
		out, mean, variance = graph.InternalBatchNormForTraining(y, v.scale.NodeValue(g), v.offset.NodeValue(g), BNEpsilon, -1)
		v.updateRunning(g, mean, variance, count)
		return out
	}
	forward := func(in []*graph.Node, zero *graph.Node) *graph.Node {
		y, scale, offset := in[0], addZero(in[1], zero), in[2]
		mean = graph.ReduceMean(y, 0, 1, 2)
		centered = graph.Sub(y, channelVector(mean))
		variance = graph.ReduceMean(graph.Square(centered), 0, 1, 2)
		invStd = graph.Reciprocal(graph.Sqrt(graph.AddScalar(variance, BNEpsilon)))
		out := graph.Mul(centered, channelVector(graph.Mul(invStd, scale)))
		return graph.Add(out, channelVector(offset))
	}
	backward := func(in []*graph.Node, dOut *graph.Node) []*graph.Node {
		// With x̂ = c/σ (c = y − μ): dScale = Σv·x̂ = (Σv·c)/σ, and x̂·b = c·(b/σ), so x̂ is never formed.
		scale := in[1]
		dOffset := graph.ReduceSum(dOut, 0, 1, 2)
		dScale := graph.Mul(graph.ReduceSum(graph.Mul(dOut, centered), 0, 1, 2), invStd)
		a := graph.Mul(scale, invStd)
		// dy = a·v + c·(−a·dScale/(count·σ)) + (−a·dOffset/count)
		b2 := graph.MulScalar(graph.Mul(graph.Mul(a, dScale), invStd), -1/float64(count))
		b1 := graph.MulScalar(graph.Mul(a, dOffset), -1/float64(count))
		dy := graph.Add(graph.Mul(dOut, channelVector(a)), graph.Mul(centered, channelVector(b2)))
		dy = graph.Add(dy, channelVector(b1))
		return []*graph.Node{dy, dScale, dOffset}
	}
	out = customGradient([]*graph.Node{y, v.scale.NodeValue(g), v.offset.NodeValue(g)}, forward, backward)
	v.updateRunning(g, mean, variance, count)
	return out
}

// updateRunning records in the graph the update of the running statistics from a batch's mean and
// (biased) variance over count elements per channel.
func (v bnVariables) updateRunning(g *graph.Graph, mean, variance *graph.Node, count int) {
	unbiased := graph.StopGradient(variance)
	if count > 1 {
		unbiased = graph.MulScalar(unbiased, float64(count)/float64(count-1))
	}
	v.mean.SetNodeValue(graph.Add(
		graph.MulScalar(v.mean.NodeValue(g), 1-BNMomentum), graph.MulScalar(graph.StopGradient(mean), BNMomentum)))
	v.variance.SetNodeValue(graph.Add(
		graph.MulScalar(v.variance.NodeValue(g), 1-BNMomentum), graph.MulScalar(unbiased, BNMomentum)))
}

// plainBatchNorm forces batch norm built from plain ops on every backend (tests compare the two).
var plainBatchNorm = false

// nativeBatchNorm reports whether training batch norm in g should be the backend's
// BatchNormForTraining op: on the go backend, whose implementation is posedistill's.
func nativeBatchNorm(g *graph.Graph) bool {
	return !plainBatchNorm && gathers(g)
}

// fold returns the per-channel (a, b) such that inference batch norm is y·a + b.
func (v bnVariables) fold(g *graph.Graph) (a, b *graph.Node) {
	a = graph.Mul(v.scale.NodeValue(g), graph.Reciprocal(graph.Sqrt(graph.AddScalar(v.variance.NodeValue(g), BNEpsilon))))
	b = graph.Sub(v.offset.NodeValue(g), graph.Mul(v.mean.NodeValue(g), a))
	return a, b
}
