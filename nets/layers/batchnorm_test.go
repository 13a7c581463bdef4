package layers

import (
	"fmt"
	"math"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestBatchNormNativeMatchesPlain checks the go backend's BatchNormForTraining and BatchNormGradient,
// followed by its FusedActivation (ReLU, or the fork's ReLU6), against batch norm and activations
// built from plain ops (posedistill's fork of gomlx/compute): the output, the
// gradients with respect to the input, scale and offset, and the updated running statistics, for
// channel counts around the SIMD width (whole vectors, a scalar tail of rows, channels that are not a
// multiple of it), in float32 and float64, with a large mean that a one-pass variance would lose.
func TestBatchNormNativeMatchesPlain(t *testing.T) {
	backend := goBackend(t)
	cases := []struct {
		dims  []int
		shift float64
	}{
		{[]int{2, 3, 4, 16}, 0},
		{[]int{2, 5, 3, 24}, 0},
		{[]int{1, 3, 3, 5}, 0},
		{[]int{3, 7, 5, 35}, 100},
		{[]int{2, 9, 9, 144}, 0},
		{[]int{1, 1, 3, 8}, 0},
	}
	for i, tc := range cases {
		for k, f64 := range []bool{false, true} {
			act := []Activation{ReLU6, ReLU}[(i+k)%2]
			name := fmt.Sprintf("%v/shift%g/%s", tc.dims, tc.shift, act)
			if f64 {
				name += "/float64"
			}
			t.Run(name, func(t *testing.T) {
				x, scale := randomTensor[float32](uint64(30+i), tc.dims...), randomTensor[float32](uint64(40+i), tc.dims[3])
				if f64 {
					x, scale = randomTensor[float64](uint64(30+i), tc.dims...), randomTensor[float64](uint64(40+i), tc.dims[3])
				}
				get := func(plain bool) []*tensors.Tensor {
					plainBatchNorm = plain
					defer func() { plainBatchNorm = false }()
					vals, err := model.CallOnceN(backend, newStore(int64(30+i)), func(scope *model.Scope, x *graph.Node) []*graph.Node {
						g := x.Graph()
						x = graph.AddScalar(x, tc.shift)
						c := tc.dims[3]
						v := newBNVariables(scope.At("layer"), shapes.Make(x.DType(), c))
						v.scale.SetValue(scale)                                  // away from 1, so that the scale's role is tested
						y := activate(act, graph.MulScalar(v.train(x), 4), true) // ×4: some values above 6
						weights := graph.Sin(graph.AddScalar(graph.IotaFull(g, y.Shape()), 0.5))
						loss := graph.ReduceAllSum(graph.Mul(graph.Mul(y, y), weights))
						grads := graph.Gradient(loss, x, v.scale.NodeValue(g), v.offset.NodeValue(g))
						return append([]*graph.Node{y}, append(grads, v.mean.NodeValue(g), v.variance.NodeValue(g))...)
					}, x)
					if err != nil {
						t.Fatal(err)
					}
					return vals
				}
				native, plain := get(false), get(true)
				tol := 2e-4
				if tc.shift > 0 {
					// x + 100 keeps 17 bits of x in float32, so both sides drift from the exact
					// gradient (by 2e-4 plain, 1e-4 native, against the float64 run).
					tol = 1e-3
				}
				if f64 {
					tol = 1e-9
				}
				for k, what := range []string{"output", "input gradient", "scale gradient", "offset gradient", "running mean", "running variance"} {
					t.Run(what, func(t *testing.T) { assertCloseFloat(t, native[k], plain[k], tol) })
				}
			})
		}
	}
}

// assertCloseFloat is assertClose for float32 and float64 tensors.
func assertCloseFloat(t *testing.T, got, want *tensors.Tensor, tol float64) {
	t.Helper()
	if !got.Shape().Equal(want.Shape()) {
		t.Fatalf("shape %s, want %s", got.Shape(), want.Shape())
	}
	flat := func(x *tensors.Tensor) []float64 {
		if x.DType() == dtypes.Float64 {
			return tensors.MustCopyFlatData[float64](x)
		}
		var out []float64
		for _, v := range tensors.MustCopyFlatData[float32](x) {
			out = append(out, float64(v))
		}
		return out
	}
	g, w := flat(got), flat(want)
	for i := range g {
		if d := math.Abs(g[i] - w[i]); d > tol*(1+math.Abs(w[i])) || math.IsNaN(g[i]) {
			t.Fatalf("element %d: %g, want %g", i, g[i], w[i])
		}
	}
}
