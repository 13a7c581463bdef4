package layers

import (
	"github.com/gomlx/gomlx/core/graph"
)

// window describes a sliding window over the two spatial axes of an NHWC tensor.
type window struct {
	kernelH, kernelW int // window size
	stride           int
	padH, padW       int // zero padding before the first row / column (PyTorch's padding)
	outH, outW       int // output size
}

// newWindow returns the window of a kernel k×k with the given stride and symmetric padding over an
// inH×inW input, with PyTorch's output size rule ⌊(in + 2·pad − k)/stride⌋ + 1.
func newWindow(inH, inW, kernelH, kernelW, stride, padH, padW int) window {
	return window{
		kernelH: kernelH, kernelW: kernelW, stride: stride, padH: padH, padW: padW,
		outH: (inH+2*padH-kernelH)/stride + 1,
		outW: (inW+2*padW-kernelW)/stride + 1,
	}
}

// channelVector reshapes a [C] vector to [1, 1, 1, C] for broadcasting over an NHWC tensor.
func channelVector(v *graph.Node) *graph.Node {
	return graph.Reshape(v, 1, 1, 1, v.Shape().Dimensions[0])
}
