package layers

import (
	"fmt"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestDepthwiseNativeMatchesLowered checks the go backend's depthwise ConvGeneral kernels (forward,
// and the hand-written input and filter gradients) against the lowered taps, in float32, for channel
// counts around the SIMD width and for odd sizes, strides and kernels.
func TestDepthwiseNativeMatchesLowered(t *testing.T) {
	backend := goBackend(t)
	cases := []struct{ n, h, w, c, kernel, stride int }{
		{2, 6, 7, 5, 3, 1},
		{2, 8, 7, 16, 3, 2},
		{1, 7, 9, 19, 3, 2},
		{3, 9, 9, 24, 5, 2},
		{2, 5, 6, 35, 3, 1},
		{1, 4, 5, 8, 1, 1},
		{2, 11, 6, 40, 3, 2},
		{2, 8, 10, 16, 1, 2}, // leaves input rows unread: the lowered path
		// Rows wide enough for the forward row kernel's four-pixel groups and their remainder,
		// with one vector of channels, a vector and a part, and several vectors.
		{1, 5, 23, 8, 3, 1},
		{1, 6, 22, 12, 5, 1},
		{2, 7, 19, 33, 5, 2},
		{1, 4, 30, 3, 3, 2},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprintf("%dx%dx%dx%d/k%d/s%d", tc.n, tc.h, tc.w, tc.c, tc.kernel, tc.stride), func(t *testing.T) {
			x := randomTensor[float32](uint64(70+i), tc.n, tc.h, tc.w, tc.c)
			get := func(lowered bool) [3]*tensors.Tensor {
				lowerDepthwise = lowered
				defer func() { lowerDepthwise = false }()
				vals, err := model.CallOnceN(backend, newStore(int64(70+i)), func(scope *model.Scope, x *graph.Node) []*graph.Node {
					s := scope.At("dw")
					y := DepthwiseConv(s, x).Kernel(tc.kernel).Stride(tc.stride).Training(true).Done()
					kernel := s.GetVariable("weights").NodeValue(x.Graph())
					weights := graph.Sin(graph.AddScalar(graph.IotaFull(x.Graph(), y.Shape()), 0.5))
					grads := graph.Gradient(graph.ReduceAllSum(graph.Mul(y, weights)), x, kernel)
					return []*graph.Node{y, grads[0], grads[1]}
				}, x)
				if err != nil {
					t.Fatal(err)
				}
				return [3]*tensors.Tensor{vals[0], vals[1], vals[2]}
			}
			native, lowered := get(false), get(true)
			for k, name := range []string{"output", "input gradient", "filter gradient"} {
				t.Run(name, func(t *testing.T) { assertClose(t, native[k], lowered[k], 1e-4) })
			}
		})
	}
}

// TestDepthwiseWindowNativeMatchesLowered checks the kernel on TensorFlow's SAME windows (one more
// padding row or column after the input than before) against the lowered taps.
func TestDepthwiseWindowNativeMatchesLowered(t *testing.T) {
	backend := goBackend(t)
	for i, tc := range []struct{ h, w, k, s int }{{8, 8, 3, 2}, {7, 10, 3, 2}, {9, 6, 5, 2}, {6, 6, 3, 1}} {
		t.Run(fmt.Sprintf("%dx%d/k%d/s%d", tc.h, tc.w, tc.k, tc.s), func(t *testing.T) {
			x := randomTensor[float32](uint64(90+i), 2, tc.h, tc.w, 12)
			k := randomTensor[float32](uint64(95+i), tc.k, tc.k, 1, 12)
			win := sameWindow(tc.h, tc.w, tc.k, tc.s)
			w := Window{KernelH: tc.k, KernelW: tc.k, Stride: tc.s, PadTop: win.padH, PadLeft: win.padW, OutH: win.outH, OutW: win.outW}
			get := func(lowered bool) *tensors.Tensor {
				lowerDepthwise = lowered
				defer func() { lowerDepthwise = false }()
				out, err := model.CallOnceN(backend, newStore(1), func(_ *model.Scope, x, k *graph.Node) []*graph.Node {
					return []*graph.Node{DepthwiseConvWindow(x, k, w)}
				}, x, k)
				if err != nil {
					t.Fatal(err)
				}
				return out[0]
			}
			assertClose(t, get(false), get(true), 1e-4)
		})
	}
}
