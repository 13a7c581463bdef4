package layers

import (
	"fmt"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestDirectConvMatchesLowered checks the go backend's direct dense convolution (one ConvGeneral,
// inference graphs with few output channels) against the im2col lowering: one output channel (the
// dot-product kernel, with input channels a vector, a part of one, and several), a vector and more
// of output channels (the four-pixel kernel and its remainders), strides, TensorFlow's SAME windows
// and rows narrower than a four-pixel group; and, as inference graphs may be differentiated, the
// gradients (the direct path's are the lowering's, hand-written).
func TestDirectConvMatchesLowered(t *testing.T) {
	backend := goBackend(t)
	cases := []struct{ n, h, w, cin, cout, k, s int }{
		{1, 9, 21, 8, 1, 3, 1},  // BlazePose's segmentation head, smaller
		{2, 7, 13, 3, 24, 3, 2}, // a stem: 3 channels into 24, stride 2
		{1, 6, 18, 19, 1, 3, 1}, // dot products over 19 channels: two vectors and a part
		{1, 5, 11, 5, 3, 5, 1},  // a 5×5 kernel, three output channels
		{1, 8, 17, 4, 20, 3, 1}, // a vector of output channels and four more
		{2, 6, 6, 3, 32, 3, 2},  // MobileNetV2's stem shape, small
		{1, 3, 3, 6, 9, 3, 1},   // every pixel a border pixel
		{1, 10, 9, 2, 16, 2, 2}, // an even kernel
		{1, 4, 26, 16, 8, 3, 1}, // sixteen channels into eight
	}
	for i, tc := range cases {
		t.Run(fmt.Sprintf("%dx%dx%dx%d/out%d/k%d/s%d", tc.n, tc.h, tc.w, tc.cin, tc.cout, tc.k, tc.s), func(t *testing.T) {
			x := randomTensor[float32](uint64(110+i), tc.n, tc.h, tc.w, tc.cin)
			k := randomTensor[float32](uint64(130+i), tc.k, tc.k, tc.cin, tc.cout)
			win := sameWindow(tc.h, tc.w, tc.k, tc.s)
			w := Window{KernelH: tc.k, KernelW: tc.k, Stride: tc.s, PadTop: win.padH, PadLeft: win.padW, OutH: win.outH, OutW: win.outW}
			// The output and its gradients: the inference graph may be differentiated.
			get := func(lowered bool) [3]*tensors.Tensor {
				lowerDirectConv = lowered
				defer func() { lowerDirectConv = false }()
				out, err := model.CallOnceN(backend, newStore(1), func(_ *model.Scope, x, k *graph.Node) []*graph.Node {
					y := ConvWindow(x, k, w)
					if direct := hasNodeType(y, graph.NodeTypeConvGeneral); direct == lowered {
						t.Errorf("lowered %v: ConvGeneral in the graph: %v", lowered, direct)
					}
					weights := graph.Sin(graph.AddScalar(graph.IotaFull(x.Graph(), y.Shape()), 0.5))
					grads := graph.Gradient(graph.ReduceAllSum(graph.Mul(y, weights)), x, k)
					return []*graph.Node{y, grads[0], grads[1]}
				}, x, k)
				if err != nil {
					t.Fatal(err)
				}
				return [3]*tensors.Tensor{out[0], out[1], out[2]}
			}
			direct, lowered := get(false), get(true)
			for i, name := range []string{"output", "input gradient", "kernel gradient"} {
				t.Run(name, func(t *testing.T) { assertClose(t, direct[i], lowered[i], 1e-4) })
			}
		})
	}
}

// hasNodeType reports whether y or a node it depends on is of type typ.
func hasNodeType(y *graph.Node, typ graph.NodeType) bool {
	seen := map[*graph.Node]bool{}
	stack := []*graph.Node{y}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		if n.Type() == typ {
			return true
		}
		stack = append(stack, n.Inputs()...)
	}
	return false
}
