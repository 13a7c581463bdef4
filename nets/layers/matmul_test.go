package layers

import (
	"fmt"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestMatmulChannelsMatchesPlain checks the 1×1 convolution contracted in place (matmulChannels, its
// hand-written weight gradient transposing the narrower operand) against plain GoMLX ops (a Reshape
// to a matrix, DotGeneral and GoMLX's own gradients): output and both gradients, with fewer, equal
// and more input channels than output channels, and in a 2-D operand (the im2col product's gradient).
func TestMatmulChannelsMatchesPlain(t *testing.T) {
	backend := goBackend(t)
	for i, dims := range [][]int{{2, 5, 7, 8, 48}, {2, 5, 7, 48, 8}, {1, 3, 4, 16, 16}, {35, 6, 4}} {
		t.Run(fmt.Sprint(dims), func(t *testing.T) {
			xDims, k, out := dims[:len(dims)-1], dims[len(dims)-2], dims[len(dims)-1]
			x := randomTensor[float32](uint64(210+i), xDims...)
			w := randomTensor[float32](uint64(230+i), k, out)
			get := func(plain bool) [3]*tensors.Tensor {
				res, err := model.CallOnceN(backend, newStore(1), func(_ *model.Scope, x, w *graph.Node) []*graph.Node {
					var y *graph.Node
					if plain {
						m := x.Shape().Size() / k
						y = graph.DotGeneral(graph.Reshape(x, m, k), []int{1}, nil, w, []int{0}, nil)
						y = graph.Reshape(y, append(xDims[:len(xDims)-1:len(xDims)-1], out)...)
					} else {
						y = matmulChannels(x, w, true)
					}
					weights := graph.Sin(graph.AddScalar(graph.IotaFull(x.Graph(), y.Shape()), 0.5))
					grads := graph.Gradient(graph.ReduceAllSum(graph.Mul(y, weights)), x, w)
					return []*graph.Node{y, grads[0], grads[1]}
				}, x, w)
				if err != nil {
					t.Fatal(err)
				}
				return [3]*tensors.Tensor{res[0], res[1], res[2]}
			}
			got, want := get(false), get(true)
			for i, name := range []string{"output", "input gradient", "weight gradient"} {
				t.Run(name, func(t *testing.T) { assertClose(t, got[i], want[i], 1e-4) })
			}
		})
	}
}
