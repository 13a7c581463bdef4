package nets

import (
	"fmt"
	"math"
)

// Params returns the number of learned parameters: convolution and transposed-convolution weights,
// biases, and batch norm's scale and offset (not its running statistics, which are not learned — the
// convention of PyTorch's parameters() and of published parameter counts). It assumes a valid
// description (see Shapes); layers with unknown inputs count only their own weights' known part.
func (n *Net) Params() int64 {
	channels := map[string]int{Input: n.InputChannels}
	var total int64
	for i := range n.Layers {
		l := &n.Layers[i]
		in := 0
		for _, name := range l.Inputs {
			in += channels[name]
		}
		switch l.Op {
		case OpConv:
			k := int64(l.KernelSize())
			total += k * k * int64(in/l.GroupCount()) * int64(l.Out)
		case OpDeconv:
			total += 16 * int64(in) * int64(l.Out)
		}
		if l.Op == OpConv || l.Op == OpDeconv {
			if l.Bias {
				total += int64(l.Out)
			}
			if l.BN {
				total += 2 * int64(l.Out)
			}
			channels[l.Name] = l.Out
			continue
		}
		if l.Op == OpPad {
			channels[l.Name] = l.Out
			continue
		}
		if l.Op == OpAdd && len(l.Inputs) > 0 {
			in = channels[l.Inputs[0]]
		}
		channels[l.Name] = in
	}
	return total
}

// FLOPs returns the multiply-accumulate operations of one forward pass on an inputH×inputW image, the
// unit of the MobileNetV2 paper and of torchvision's "GFLOPS" column: every convolution and transposed
// convolution counts out_pixels·k²·(in/groups)·out; batch norm (folded at inference), activations, adds,
// concatenations and upsampling are not counted.
func (n *Net) FLOPs(inputH, inputW int) (int64, error) {
	shapes, err := n.Shapes(inputH, inputW)
	if err != nil {
		return 0, err
	}
	var total float64 // exact below 2^53, and it cannot overflow
	for i := range n.Layers {
		l := &n.Layers[i]
		out := shapes[l.Name]
		switch l.Op {
		case OpConv:
			k := float64(l.KernelSize())
			in := shapes[l.Inputs[0]].C
			total += float64(out.H) * float64(out.W) * k * k * float64(in/l.GroupCount()) * float64(l.Out)
		case OpDeconv:
			in := shapes[l.Inputs[0]]
			total += float64(in.H) * float64(in.W) * 16 * float64(in.C) * float64(l.Out)
		}
	}
	if total >= math.MaxInt64/2 {
		return 0, fmt.Errorf("net %s: %.3g FLOPs is beyond counting", n.Name, total)
	}
	return int64(total), nil
}
