package layers

import (
	"github.com/gomlx/gomlx/core/graph"
)

// GoMLX v0.28.16 offers custom gradients only as graph.IdentityWithCustomGradient: an identity node
// whose gradient function maps the adjoint of its output to the adjoint of its input. customGradient
// below builds, from that one primitive, an operation with several inputs whose forward pass and
// backward pass are both written by hand:
//
//   - each input x_i goes through an identity node x_i' whose gradient function returns the hand-written
//     gradient g_i (computed once, on the first call, from the adjoint v of the output);
//   - the forward pass runs on the x_i'; it must keep GoMLX from building the gradients of the ops
//     whose gradients are wrong on the go backend (negative Pad: grid.taps puts a StopGradient before
//     them); the gradients GoMLX builds for the other ops reach only the x_i', whose gradient functions
//     ignore them, so they are never computed (the backends drop unused nodes). No StopGradient node
//     sits on the x_i' themselves: on the go backend an identity node copies its input when the input
//     has other consumers;
//   - a zero scalar that depends on every x_i' (0·clip(Σ x_i'[0,…,0], ±1)) is handed to the forward
//     pass, which must add it to something small it uses (a kernel); that keeps every x_i' on the path
//     from the loss, so the gradient pass reaches their gradient functions;
//   - the output goes through one more identity node whose gradient function records v. It is built
//     last, so the reverse pass visits it before any x_i'.
//
// The adjoints that GoMLX itself propagates back along the zero scalar's path are never used by the
// gradient functions, so the backends drop them (dead-code elimination) before running the graph.

// customGradient returns forward(inputs', zero) and makes the gradient of a loss with respect
// to inputs[i] equal to backward(inputs, v)[i], where v is the gradient of the loss with respect to the
// returned node. forward must make its result depend on zero (a scalar that is always 0 for finite
// inputs). backward is called at most once, while GoMLX builds the gradient graph; a nil entry means
// a zero gradient.
func customGradient(inputs []*graph.Node, forward func(inputs []*graph.Node, zero *graph.Node) *graph.Node,
	backward func(inputs []*graph.Node, v *graph.Node) []*graph.Node) *graph.Node {
	var v *graph.Node
	var grads []*graph.Node
	gradient := func(i int) func(x, _ *graph.Node) *graph.Node {
		return func(x, _ *graph.Node) *graph.Node {
			if v == nil {
				panic("layers: custom gradient: the output's adjoint was not recorded before the inputs' (is the forward result used directly?)")
			}
			if grads == nil {
				grads = backward(inputs, v)
			}
			if grads[i] == nil {
				return graph.ZerosLike(x)
			}
			return grads[i]
		}
	}
	identities := make([]*graph.Node, len(inputs))
	var sum *graph.Node
	for i, x := range inputs {
		xi := graph.IdentityWithCustomGradient(x, gradient(i))
		identities[i] = xi
		first := make([]graph.SliceAxisSpec, x.Rank())
		for a := range first {
			first[a] = graph.AxisElem(0)
		}
		s := graph.Reshape(graph.Slice(xi, first...))
		if sum == nil {
			sum = s
		} else {
			sum = graph.Add(sum, s)
		}
	}
	zero := graph.MulScalar(graph.ClipScalar(sum, -1, 1), 0)
	out := forward(identities, zero)
	return graph.IdentityWithCustomGradient(out, func(_, adjoint *graph.Node) *graph.Node {
		v = adjoint
		return adjoint
	})
}

// handWritten returns customGradient(inputs, forward, backward) when custom is set, and otherwise
// forward(inputs, nil): the plain graph, which GoMLX differentiates by itself (correctly, if more
// slowly). Inference graphs take the plain path: it has no identity nodes (which copy their input on
// the go backend when the input has other consumers) and no zero scalar. forward must treat a nil
// zero as "plain": add nothing and stop no gradient.
func handWritten(custom bool, inputs []*graph.Node, forward func(inputs []*graph.Node, zero *graph.Node) *graph.Node,
	backward func(inputs []*graph.Node, v *graph.Node) []*graph.Node) *graph.Node {
	if !custom {
		return forward(inputs, nil)
	}
	return customGradient(inputs, forward, backward)
}

// addZero returns x + zero, or x when zero is nil (a plain graph, see handWritten).
func addZero(x, zero *graph.Node) *graph.Node {
	if zero == nil {
		return x
	}
	return graph.Add(x, zero)
}
