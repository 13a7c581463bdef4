package layers

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// ConvBuilder configures a 2D convolution (optionally grouped or depthwise) over an NHWC tensor,
// optionally followed by batch norm and an activation. Create it with Conv and finish with Done.
type ConvBuilder struct {
	scope                    *model.Scope
	x                        *graph.Node
	channels, kernel, stride int
	groups, padding          int
	initStd                  float64
	bias, bn, training       bool
	biasSet, same            bool
	act                      Activation
}

// Conv starts a convolution of x [N, H, W, C] whose variables live in scope. Defaults: as many output
// channels as input channels, kernel 1, stride 1, one group, padding (kernel−1)/2, a bias unless batch
// norm is on, no batch norm, no activation, inference mode.
func Conv(scope *model.Scope, x *graph.Node) *ConvBuilder {
	return &ConvBuilder{scope: scope, x: x, channels: x.Shape().Dimensions[3], kernel: 1, stride: 1, groups: 1, padding: -1}
}

// DepthwiseConv starts a depthwise convolution of x: one k×k filter per channel (groups = channels).
func DepthwiseConv(scope *model.Scope, x *graph.Node) *ConvBuilder {
	c := x.Shape().Dimensions[3]
	return Conv(scope, x).Groups(c).Kernel(3)
}

// Channels sets the number of output channels.
func (b *ConvBuilder) Channels(n int) *ConvBuilder { b.channels = n; return b }

// Kernel sets the (square) kernel size.
func (b *ConvBuilder) Kernel(k int) *ConvBuilder { b.kernel = k; return b }

// Stride sets the stride on both spatial axes.
func (b *ConvBuilder) Stride(s int) *ConvBuilder { b.stride = s; return b }

// Groups sets the number of channel groups (input channels / groups feed output channels / groups).
func (b *ConvBuilder) Groups(g int) *ConvBuilder { b.groups = g; return b }

// Padding sets the zero padding on each side; the default is (kernel−1)/2.
func (b *ConvBuilder) Padding(p int) *ConvBuilder { b.padding = p; return b }

// SamePadding selects TensorFlow's "SAME" padding instead of Padding's (for imported networks):
// ⌈in/stride⌉ outputs per axis, and the padding the window needs split with the odd row or column
// after the input (a strided window on an even size pads only after it).
func (b *ConvBuilder) SamePadding(on bool) *ConvBuilder { b.same = on; return b }

// Bias sets whether a learned bias is added (default: only without batch norm).
func (b *ConvBuilder) Bias(on bool) *ConvBuilder { b.bias, b.biasSet = on, true; return b }

// BatchNorm sets whether batch norm follows the convolution.
func (b *ConvBuilder) BatchNorm(on bool) *ConvBuilder { b.bn = on; return b }

// Activation sets the activation applied last.
func (b *ConvBuilder) Activation(a Activation) *ConvBuilder { b.act = a; return b }

// InitStd sets the standard deviation of the zero-mean normal distribution that initializes the
// weights; 0 (the default) means He initialization, sqrt(2/fan_in) with fan_in = kernel²·in/groups.
// Output heads use a small value (see nets.HeadInitStd): He-initialized heads start far from zero
// and training spends hundreds of steps undoing that.
func (b *ConvBuilder) InitStd(std float64) *ConvBuilder { b.initStd = std; return b }

// Training selects training mode (batch statistics, running averages updated) or inference mode
// (running statistics folded into the weights).
func (b *ConvBuilder) Training(on bool) *ConvBuilder { b.training = on; return b }

// Done builds the graph and returns the output [N, outH, outW, channels].
func (b *ConvBuilder) Done() *graph.Node {
	dims := b.x.Shape().Dimensions
	in := dims[3]
	if b.groups < 1 || in%b.groups != 0 || b.channels%b.groups != 0 {
		panic(fmt.Sprintf("layers.Conv %s: %d input and %d output channels do not split into %d groups",
			b.scope.Scope(), in, b.channels, b.groups))
	}
	pad := b.padding
	if pad < 0 {
		pad = (b.kernel - 1) / 2
	}
	w := newWindow(dims[1], dims[2], b.kernel, b.kernel, b.stride, pad, pad)
	if b.same {
		w = sameWindow(dims[1], dims[2], b.kernel, b.stride)
	}
	if w.outH < 1 || w.outW < 1 {
		panic(fmt.Sprintf("layers.Conv %s: input %dx%d too small for kernel %d stride %d", b.scope.Scope(), dims[1], dims[2], b.kernel, b.stride))
	}
	g := b.x.Graph()
	dtype := b.x.DType()
	init := initializer.HeFn(b.scope)
	if b.initStd > 0 {
		init = initializer.RandomNormalFn(b.scope, b.initStd)
	}
	weightsVar := b.scope.WithInitializer(init).
		VariableWithShape("weights", shapes.Make(dtype, b.kernel, b.kernel, in/b.groups, b.channels))
	kernel := weightsVar.NodeValue(g)
	useBias := !b.bn
	if b.biasSet {
		useBias = b.bias
	}

	var bn bnVariables
	var scale, shift *graph.Node
	if b.bn {
		bn = newBNVariables(b.scope, shapes.Make(dtype, b.channels))
		if !b.training {
			scale, shift = bn.fold(g)
			kernel = graph.Mul(kernel, graph.Reshape(scale, 1, 1, 1, b.channels))
		}
	}

	var y *graph.Node
	switch {
	case b.groups == 1:
		y = convDense(w, b.x, kernel, b.training)
	case b.groups == in && b.channels == in:
		y = convDepthwise(w, b.x, kernel, b.training)
	default:
		y = convGrouped(w, b.x, kernel, b.groups, b.training)
	}

	if useBias {
		bias := b.scope.WithInitializer(initializer.Zero).VariableWithShape("biases", shapes.Make(dtype, b.channels)).NodeValue(g)
		if shift != nil {
			// Folded batch norm: (y + bias)·a + b = y·a + (bias·a + b); the a is already in the kernel.
			shift = graph.Add(shift, graph.Mul(bias, scale))
		} else {
			y = graph.Add(y, channelVector(bias))
		}
	}
	switch {
	case b.bn && b.training:
		y = bn.train(y)
	case shift != nil:
		y = graph.Add(y, channelVector(shift))
	}
	return activate(b.act, y, b.training)
}
