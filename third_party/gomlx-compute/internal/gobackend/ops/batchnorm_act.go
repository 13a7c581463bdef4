package ops

// Batch norm fused with the ReLU or ReLU6 after it (posedistill's fork; see FORK.md, "Training
// steps"). A convolution block's batch norm and activation are two ops each way on the go backend:
// forward, BatchNormForTraining writes the normalized tensor and FusedActivation reads it and writes
// the activation; backward, FusedActivationVJP reads the activation's output and gradient and writes
// the normalized tensor's gradient, which BatchNormGradient reads twice. The BatchNormActivationFusion
// pass below folds the activation into the batch-norm op both ways: forward, the activation is
// applied to each block of the output right after it is written (still in cache), and the activation
// node is dropped; backward, BatchNormGradient takes the activation's gradient and output instead
// and computes the VJP into its dx buffer during the reduction pass, which the final pass then
// overwrites in place. The activation kernels are the registered ones (activations.GetKernel and
// GetVJPKernel), so the results are bit for bit those of the separate ops.

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/activations"
	"k8s.io/klog/v2"
)

func init() {
	// After IdentityElision (200), which exposes BatchNorm → activation pairs hidden behind
	// identities, before ImplicitBroadcastFusion (100).
	gobackend.RegisterTransformation(150, &BatchNormActivationFusion{})
}

// BatchNormActivationFusion fuses a ReLU or ReLU6 FusedActivation that is the only consumer of a
// BatchNormForTraining's output into it, and the matching FusedActivationVJP (read off the output)
// that is the only consumer of a BatchNormGradient's gradOutput into that. Only the main function
// is rewritten, and only float32 and float64.
type BatchNormActivationFusion struct{}

// Name implements gobackend.GraphTransformation.
func (p *BatchNormActivationFusion) Name() string { return "BatchNormActivationFusion" }

// fusableActivation returns the activation of a FusedActivation node if it can be fused.
func fusableActivation(n *gobackend.Node) (compute.ActivationType, bool) {
	if n.OpType != compute.OpTypeFusedActivation {
		return 0, false
	}
	d, ok := n.Data.(interface {
		ActivationConfig() compute.ActivationConfig
	})
	if !ok {
		return 0, false
	}
	cfg := d.ActivationConfig()
	if (cfg.Type != compute.ActivationRelu && cfg.Type != compute.ActivationRelu6) || cfg != (compute.ActivationConfig{Type: cfg.Type}) {
		return 0, false
	}
	return cfg.Type, true
}

// fusableVJP returns the activation of a FusedActivationVJP node that reads the activation's output
// y (and perhaps its input x, which ReLU's and ReLU6's VJPs ignore when y is given: GoMLX passes
// both), and its y and dOutput inputs, if it can be fused.
func fusableVJP(n *gobackend.Node) (act compute.ActivationType, y, dOut *gobackend.Node, ok bool) {
	if n.OpType != compute.OpTypeFusedActivationVJP {
		return 0, nil, nil, false
	}
	d, ok := n.Data.(interface {
		ActivationVJPConfig() (compute.ActivationConfig, bool, bool)
	})
	if !ok {
		return 0, nil, nil, false
	}
	cfg, hasY, hasX := d.ActivationVJPConfig()
	want := 2
	if hasX {
		want = 3
	}
	if !hasY || len(n.Inputs) != want ||
		(cfg.Type != compute.ActivationRelu && cfg.Type != compute.ActivationRelu6) || cfg != (compute.ActivationConfig{Type: cfg.Type}) {
		return 0, nil, nil, false
	}
	return cfg.Type, n.Inputs[0], n.Inputs[want-1], true
}

// Apply implements gobackend.GraphTransformation.
func (p *BatchNormActivationFusion) Apply(b *gobackend.Builder) (bool, error) {
	f := b.MainFn
	if f == nil {
		return false, nil
	}
	// Live nodes (those the outputs depend on): GoMLX leaves unused gradient nodes behind.
	live := make(map[*gobackend.Node]bool)
	stack := append([]*gobackend.Node(nil), f.Outputs...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if live[n] {
			continue
		}
		live[n] = true
		stack = append(stack, n.Inputs...)
		for _, captured := range n.CapturedInputs {
			stack = append(stack, captured...)
		}
	}
	// Consumers by live nodes; outputs and captured values are pinned (never fused).
	consumers := make(map[*gobackend.Node][]*gobackend.Node)
	pinned := make(map[*gobackend.Node]bool)
	for _, n := range f.Nodes {
		if !live[n] {
			continue
		}
		for _, in := range n.Inputs {
			consumers[in] = append(consumers[in], n)
		}
		for _, captured := range n.CapturedInputs {
			for _, c := range captured {
				pinned[c] = true
			}
		}
	}
	for _, out := range f.Outputs {
		pinned[out] = true
	}
	for _, fn := range b.Functions {
		for _, c := range fn.CapturedParentNodes {
			pinned[c] = true
		}
	}
	floatBN := func(n *gobackend.Node) bool {
		dt := n.Shape.DType
		return (dt == dtypes.Float32 || dt == dtypes.Float64) && !n.Shape.IsDynamic()
	}
	fused := 0
	for _, n := range f.Nodes {
		if !live[n] {
			continue
		}
		switch n.OpType {
		case compute.OpTypeFusedActivation:
			act, ok := fusableActivation(n)
			if !ok {
				continue
			}
			out := n.Inputs[0] // the BatchNormForTraining output, a select-output node
			if !out.IsNodeSelectOutput || out.SelectOutputIdx != 0 || pinned[out] || !floatBN(out) {
				continue
			}
			bn := out.Inputs[0]
			data, ok := bn.Data.(*batchNormNode)
			if bn.OpType != compute.OpTypeBatchNormForTraining || !ok || data.act != compute.ActivationNone {
				continue
			}
			// Its other consumers may only be VJPs of this activation read off its output (which
			// GoMLX passes the input too, unused by ReLU's and ReLU6's).
			others := false
			for _, m := range consumers[out] {
				if m == n {
					continue
				}
				if vAct, y, _, ok := fusableVJP(m); !ok || vAct != act || y != n || m.Inputs[1] != out {
					others = true
				}
			}
			if others {
				continue
			}
			bn.Data = &batchNormNode{epsilon: data.epsilon, featureAxis: data.featureAxis, act: act}
			// The batch norm's output is now the activation's: the activation node becomes an
			// identity of it (which passes the buffer on without a copy, should it be kept) and its
			// consumers read the output directly.
			n.OpType, n.Data = compute.OpTypeIdentity, nil
			for _, m := range consumers[n] {
				for i, in := range m.Inputs {
					if in == n {
						m.Inputs[i] = out
					}
				}
			}
			fused++
		case compute.OpTypeBatchNormGradient:
			if n.MultiOutputsShapes == nil || len(n.Inputs) != 5 {
				continue
			}
			data, ok := n.Data.(*batchNormNode)
			vjp := n.Inputs[4]
			if !ok || data.act != compute.ActivationNone || pinned[vjp] || len(consumers[vjp]) != 1 || !floatBN(n.Inputs[0]) {
				continue
			}
			act, y, dOut, ok := fusableVJP(vjp)
			if !ok {
				continue
			}
			// Inputs: operand, scale, mean, variance, the activation's gradient, its output.
			n.Inputs = []*gobackend.Node{n.Inputs[0], n.Inputs[1], n.Inputs[2], n.Inputs[3], dOut, y}
			n.Data = &batchNormNode{epsilon: data.epsilon, featureAxis: data.featureAxis, act: act}
			fused++
		}
	}
	if klog.V(1).Enabled() {
		klog.Infof("BatchNormActivationFusion: %d ops fused", fused)
	}
	// The rewired inputs come before the nodes they replace: the order stays topological.
	return false, nil
}

// bnActivation returns a function applying act in place to y[lo:hi], or nil for no activation.
func bnActivation[T float32 | float64](act compute.ActivationType, y []T) func(lo, hi int) {
	if act == compute.ActivationNone {
		return nil
	}
	kernel := activations.GetKernel[T](act)
	return func(lo, hi int) { kernel(y[lo:hi], y[lo:hi]) }
}

// bnActivationVJP returns a function writing the VJP of act, read off its output y, for the
// gradient dy into g[lo:hi], or nil for no activation.
func bnActivationVJP[T float32 | float64](act compute.ActivationType, y, dy, g []T) func(lo, hi int) {
	if act == compute.ActivationNone {
		return nil
	}
	kernel := activations.GetVJPKernel[T](act)
	return func(lo, hi int) { kernel(y[lo:hi], nil, dy[lo:hi], g[lo:hi]) }
}
