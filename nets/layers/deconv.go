package layers

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// DeconvBuilder configures a 4×4, stride 2, padding 1 transposed convolution (the upsampling layer of
// SimpleBaseline), optionally followed by batch norm and an activation. Create it with Deconv.
//
// Its "weights" variable is [4, 4, in, out] with out[2i−1+ky, 2j−1+kx] += x[i, j]·weights[ky, kx]
// (PyTorch's ConvTranspose2d weight [in, out, ky, kx], transposed). It is computed as four 2×2
// convolutions of the input, one per output phase, interleaved into the 2× output.
type DeconvBuilder struct {
	scope              *model.Scope
	x                  *graph.Node
	channels           int
	bias, bn, training bool
	act                Activation
}

// Deconv starts a 4×4 stride-2 transposed convolution of x [N, H, W, C] into [N, 2H, 2W, channels].
func Deconv(scope *model.Scope, x *graph.Node) *DeconvBuilder {
	return &DeconvBuilder{scope: scope, x: x, channels: x.Shape().Dimensions[3]}
}

// Channels sets the number of output channels.
func (b *DeconvBuilder) Channels(n int) *DeconvBuilder { b.channels = n; return b }

// Bias sets whether a learned bias is added (default false).
func (b *DeconvBuilder) Bias(on bool) *DeconvBuilder { b.bias = on; return b }

// BatchNorm sets whether batch norm follows.
func (b *DeconvBuilder) BatchNorm(on bool) *DeconvBuilder { b.bn = on; return b }

// Activation sets the activation applied last.
func (b *DeconvBuilder) Activation(a Activation) *DeconvBuilder { b.act = a; return b }

// Training selects training or inference mode, as ConvBuilder.Training.
func (b *DeconvBuilder) Training(on bool) *DeconvBuilder { b.training = on; return b }

// deconvTaps lists, for output phase 0 and 1 along one axis, the (offset in the input padded by one,
// kernel index) pairs that contribute: out[2m] = x[m−1]·k3 + x[m]·k1, out[2m+1] = x[m]·k2 + x[m+1]·k0.
var deconvTaps = [2][2][2]int{{{0, 3}, {1, 1}}, {{1, 2}, {2, 0}}}

// Done builds the graph and returns the output [N, 2H, 2W, channels].
func (b *DeconvBuilder) Done() *graph.Node {
	dims := b.x.Shape().Dimensions
	n, h, wd, in := dims[0], dims[1], dims[2], dims[3]
	if b.channels < 1 {
		panic(fmt.Sprintf("layers.Deconv %s: %d output channels", b.scope.Scope(), b.channels))
	}
	g := b.x.Graph()
	dtype := b.x.DType()
	kernel := b.scope.WithInitializer(initializer.HeFn(b.scope)).
		VariableWithShape("weights", shapes.Make(dtype, 4, 4, in, b.channels)).NodeValue(g)
	var bn bnVariables
	var shift *graph.Node
	if b.bn {
		bn = newBNVariables(b.scope, shapes.Make(dtype, b.channels))
		if !b.training {
			var scale *graph.Node
			scale, shift = bn.fold(g)
			kernel = graph.Mul(kernel, graph.Reshape(scale, 1, 1, 1, b.channels))
			if b.bias {
				bias := b.scope.WithInitializer(initializer.Zero).VariableWithShape("biases", shapes.Make(dtype, b.channels)).NodeValue(g)
				shift = graph.Add(shift, graph.Mul(bias, scale))
			}
		}
	}

	var rows [2]*graph.Node
	for a := range 2 {
		var cols [2]*graph.Node
		for c := range 2 {
			// Output phase (a, c) is a 2×2 convolution over input rows i−1+a, i+a (columns alike).
			kernels := make([]*graph.Node, 0, 4)
			for _, ty := range deconvTaps[a] {
				for _, tx := range deconvTaps[c] {
					kernels = append(kernels, graph.Slice(kernel, graph.AxisElem(ty[1]), graph.AxisElem(tx[1])))
				}
			}
			k := graph.Reshape(graph.Concatenate(kernels, 0), 2, 2, in, b.channels)
			w := window{kernelH: 2, kernelW: 2, stride: 1, padH: 1 - a, padW: 1 - c, outH: h, outW: wd}
			cols[c] = convDense(w, b.x, k, b.training)
		}
		rows[a] = graph.Stack(cols[:], 3) // [N, H, W, 2, C]
	}
	y := graph.Reshape(graph.Stack(rows[:], 2), n, 2*h, 2*wd, b.channels) // [N, H, 2, W, 2, C]

	if b.bias && !(b.bn && !b.training) {
		bias := b.scope.WithInitializer(initializer.Zero).VariableWithShape("biases", shapes.Make(dtype, b.channels)).NodeValue(g)
		y = graph.Add(y, channelVector(bias))
	}
	switch {
	case b.bn && b.training:
		y = bn.train(y)
	case shift != nil:
		y = graph.Add(y, channelVector(shift))
	}
	return activate(b.act, y, b.training)
}
