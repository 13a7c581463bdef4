package nets

import (
	"fmt"

	"github.com/posedistill/posedistill/nets/layers"
)

// builder appends layers to a Net while tracking each layer's output channels, for the architecture
// constructors.
type builder struct {
	net *Net
	ch  map[string]int
}

func newBuilder(name string, joints, inputMultiple int) *builder {
	return &builder{
		net: &Net{Name: name, InputChannels: 3, InputMultiple: inputMultiple, Joints: joints},
		ch:  map[string]int{Input: 3},
	}
}

// add appends l and returns its name.
func (b *builder) add(l Layer) string {
	out := l.Out
	switch l.Op {
	case OpUpsample, OpMaxPool:
		out = b.ch[l.Inputs[0]]
	case OpAdd:
		out = b.ch[l.Inputs[0]]
	case OpConcat:
		out = 0
		for _, in := range l.Inputs {
			out += b.ch[in]
		}
	}
	b.net.Layers = append(b.net.Layers, l)
	b.ch[l.Name] = out
	return l.Name
}

// conv appends a k×k convolution with batch norm (no bias) and act.
func (b *builder) conv(name, in string, out, k, stride int, act layers.Activation) string {
	return b.add(Layer{Name: name, Op: OpConv, Inputs: []string{in}, Out: out, Kernel: k, Stride: stride, BN: true, Act: act})
}

// dw appends a depthwise k×k convolution with batch norm and act.
func (b *builder) dw(name, in string, k, stride int, act layers.Activation) string {
	c := b.ch[in]
	return b.add(Layer{Name: name, Op: OpConv, Inputs: []string{in}, Out: c, Kernel: k, Stride: stride, Groups: c, BN: true, Act: act})
}

// separable appends a depthwise-separable block: depthwise 3×3 (stride) then pointwise 1×1 to out,
// both with batch norm and act.
func (b *builder) separable(name, in string, out, stride int, act layers.Activation) string {
	d := b.dw(name+"_dw", in, 3, stride, act)
	return b.conv(name+"_pw", d, out, 1, 1, act)
}

// head appends a 1×1 convolution with bias, no batch norm and no activation.
func (b *builder) head(name, in string, out int) string {
	return b.add(Layer{Name: name, Op: OpConv, Inputs: []string{in}, Out: out, Kernel: 1, Bias: true})
}

// upsample appends a 2× upsampling.
func (b *builder) upsample(name, in string, mode layers.Resize) string {
	return b.add(Layer{Name: name, Op: OpUpsample, Inputs: []string{in}, Resize: mode})
}

// finish sets the heads and validates the description on a nominal input.
func (b *builder) finish(heads Heads) (*Net, error) {
	b.net.Heads = heads
	m := b.net.InputMultiple
	if _, err := b.net.Shapes(8*m, 6*m); err != nil {
		return nil, fmt.Errorf("internal error building %s: %w", b.net.Name, err)
	}
	return b.net, nil
}

// makeDivisible rounds v to the nearest multiple of divisor (at least divisor) without going more than
// 10% below v: the channel rounding of MobileNetV2's width multiplier (torchvision's _make_divisible).
func makeDivisible(v float64, divisor int) int {
	n := max(divisor, int(v+float64(divisor)/2)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}
