package layers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// goBackend returns GoMLX's pure-Go backend.
func goBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := gobackend.New("")
	if err != nil {
		t.Fatalf("go backend: %v", err)
	}
	return b
}

// randomTensor returns a tensor of the given dimensions with standard normal values from seed.
func randomTensor[T float32 | float64](seed uint64, dims ...int) *tensors.Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	n := 1
	for _, d := range dims {
		n *= d
	}
	data := make([]T, n)
	for i := range data {
		data[i] = T(r.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

func newStore(seed int64) *model.Store {
	s := model.NewStore()
	s.SetParam(model.ParamInitialSeed, seed)
	return s
}

// TestConvMatchesNative checks the lowered convolution against GoMLX's native ConvGeneral.
func TestConvMatchesNative(t *testing.T) {
	backend := goBackend(t)
	cases := []struct {
		name                               string
		h, w, in, out, kernel, stride, grp int
	}{
		{"1x1", 5, 6, 4, 3, 1, 1, 1},
		{"1x1/s2 odd", 7, 5, 4, 3, 1, 2, 1},
		{"3x3", 6, 5, 3, 4, 3, 1, 1},
		{"3x3/s2", 8, 6, 3, 5, 3, 2, 1},
		{"3x3/s2 odd", 7, 9, 2, 3, 3, 2, 1},
		{"5x5/s2", 9, 8, 2, 2, 5, 2, 1},
		{"7x7/s2", 12, 10, 3, 4, 7, 2, 1},
		{"3x3 wide", 6, 5, 3, 40, 3, 1, 1}, // more outputs than the direct kernel takes: im2col
		{"1x1 wide", 5, 6, 40, 36, 1, 1, 1},
		{"depthwise 3x3", 6, 7, 5, 5, 3, 1, 5},
		{"depthwise 3x3/s2", 8, 7, 4, 4, 3, 2, 4},
		{"depthwise 5x5/s2", 9, 9, 3, 3, 5, 2, 3},
		{"grouped 3x3", 5, 5, 4, 6, 3, 1, 2},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := randomTensor[float32](uint64(i), 2, tc.h, tc.w, tc.in)
			outs, err := model.CallOnceN(backend, newStore(int64(i)), func(scope *model.Scope, x *graph.Node) []*graph.Node {
				s := scope.At("conv")
				got := Conv(s, x).Channels(tc.out).Kernel(tc.kernel).Stride(tc.stride).Groups(tc.grp).Done()
				kernel := s.GetVariable("weights").NodeValue(x.Graph())
				p := (tc.kernel - 1) / 2
				want := graph.Convolve(x, kernel).StridePerAxis(tc.stride, tc.stride).
					PaddingPerDim([][2]int{{p, p}, {p, p}}).ChannelGroupCount(tc.grp).Done()
				return []*graph.Node{got, want}
			}, x)
			if err != nil {
				t.Fatal(err)
			}
			assertClose(t, outs[0], outs[1], 1e-4)
		})
	}
}

func assertClose(t *testing.T, got, want *tensors.Tensor, tol float64) {
	t.Helper()
	if !got.Shape().Equal(want.Shape()) {
		t.Fatalf("shape %s, want %s", got.Shape(), want.Shape())
	}
	g, w := tensors.MustCopyFlatData[float32](got), tensors.MustCopyFlatData[float32](want)
	for i := range g {
		if d := math.Abs(float64(g[i] - w[i])); d > tol*(1+math.Abs(float64(w[i]))) || math.IsNaN(float64(g[i])) {
			t.Fatalf("element %d: %g, want %g", i, g[i], w[i])
		}
	}
}
