package passes

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/internal/gobackend"
	"k8s.io/klog/v2"
)

func init() {
	// Before ImplicitBroadcastFusion (100): a BroadcastInDim behind an identity becomes visible to it.
	gobackend.RegisterTransformation(200, &IdentityElision{})
}

// IdentityElision removes operations whose output is their operand, unchanged: Identity nodes, and
// Reshape, Slice, ConvertDType, Transpose (identity permutation), BroadcastInDim and Reverse (no
// axes) nodes whose output shape equals their operand's. Their consumers read the operand directly.
// A chain of Reshapes is also shortened to its last one.
//
// On the go backend such a node is not free: when its operand has other consumers (the operand is
// not "owned" by it), it copies the operand into a new buffer. GoMLX emits many of them: every
// graph.IdentityWithCustomGradient (custom gradients), graph.StopGradient, and no-op reshapes and
// broadcasts from generic graph code; a training step copied its weights and saved activations
// through them.
//
// Only the main function is rewritten (closures are compiled when they return, before this pass), a
// node that is one of the function's outputs or a closure's captured value is kept, and dynamic shapes
// are left alone. The elided nodes are left in place without consumers and are never executed.
type IdentityElision struct{}

// Name implements gobackend.GraphTransformation.
func (p *IdentityElision) Name() string {
	return "IdentityElision"
}

// isIdentity reports whether node's output is always equal to its first input.
func isIdentity(node *gobackend.Node) bool {
	if len(node.Inputs) == 0 || len(node.MultiOutputsShapes) != 0 {
		return false
	}
	operand := node.Inputs[0]
	if node.Shape.IsDynamic() || operand.Shape.IsDynamic() || len(operand.MultiOutputsShapes) != 0 {
		return false
	}
	switch node.OpType {
	case compute.OpTypeIdentity:
		return true
	case compute.OpTypeReshape, compute.OpTypeConvertDType, compute.OpTypeBroadcastInDim:
		// Equal shapes (dtype included): a BroadcastInDim of equal ranks and dimensions maps axis i to i.
		return node.Shape.Equal(operand.Shape)
	case compute.OpTypeSlice:
		// An output dimension equal to the input's means start 0, limit = dimension and stride 1 (or a
		// dimension of 1, where any start 0 slice takes the one element).
		return node.Shape.Equal(operand.Shape)
	case compute.OpTypeTranspose:
		perm, ok := node.Data.([]int)
		if !ok || !node.Shape.Equal(operand.Shape) {
			return false
		}
		for i, p := range perm {
			if p != i {
				return false
			}
		}
		return true
	case compute.OpTypeReverse:
		axes, ok := node.Data.([]int)
		return ok && len(axes) == 0
	}
	return false
}

// Apply implements gobackend.GraphTransformation.
func (p *IdentityElision) Apply(b *gobackend.Builder) (bool, error) {
	f := b.MainFn
	if f == nil {
		return false, nil
	}
	keep := make(map[*gobackend.Node]bool)
	for _, out := range f.Outputs {
		keep[out] = true
	}
	for _, node := range f.Nodes {
		for _, captured := range node.CapturedInputs {
			for _, c := range captured {
				keep[c] = true
			}
		}
	}
	for _, fn := range b.Functions {
		for _, c := range fn.CapturedParentNodes {
			keep[c] = true
		}
	}

	// source follows a chain of elidable nodes to the first node that is not one.
	source := func(n *gobackend.Node) *gobackend.Node {
		for !keep[n] && isIdentity(n) && n.Inputs[0].Function == f {
			n = n.Inputs[0]
		}
		return n
	}
	rewired := 0
	for _, node := range f.Nodes {
		for i, input := range node.Inputs {
			if src := source(input); src != input && src.Shape.Equal(input.Shape) {
				node.Inputs[i] = src
				rewired++
			}
		}
		// Reshape(Reshape(x)) = Reshape(x): the inner reshape's copy is saved when it has no other use.
		if node.OpType == compute.OpTypeReshape && !node.Shape.IsDynamic() {
			for {
				in := node.Inputs[0]
				if keep[in] || in.Function != f || in.Shape.IsDynamic() || len(in.Inputs) == 0 ||
					!(in.OpType == compute.OpTypeReshape || isIdentity(in)) ||
					len(in.Inputs[0].MultiOutputsShapes) != 0 || in.Inputs[0].Shape.DType != node.Shape.DType {
					break
				}
				node.Inputs[0] = in.Inputs[0]
				rewired++
			}
		}
	}
	if klog.V(1).Enabled() {
		klog.Infof("IdentityElision: %d inputs of %d nodes now skip identities", rewired, len(f.Nodes))
	}
	// Consumers now read earlier nodes than before, so the order stays topological.
	return false, nil
}
