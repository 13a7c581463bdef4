package ops_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	_ "github.com/gomlx/compute/internal/gobackend/fusedops"
	_ "github.com/gomlx/compute/internal/gobackend/ops"
	"github.com/gomlx/compute/shapes"
)

// TestBatchNormActivationFusion runs batch norm + ReLU / ReLU6, forward and backward, as backend ops,
// once fused by the BatchNormActivationFusion pass and once not (the intermediate values are also
// outputs of the graph, which keeps the pass away), and compares every result: channels last
// (SIMD, with and without a scalar tail of rows), features on another axis (the scalar loop), and
// float64.
func TestBatchNormActivationFusion(t *testing.T) {
	backend := compute.MustNew()
	defer backend.Finalize()
	cases := []struct {
		dtype       dtypes.DType
		dims        []int
		featureAxis int
		act         compute.ActivationType
	}{
		{dtypes.Float32, []int{2, 9, 7, 16}, 3, compute.ActivationRelu6},
		{dtypes.Float32, []int{4, 16, 16, 24}, 3, compute.ActivationRelu},
		{dtypes.Float32, []int{1, 5, 3, 3}, 3, compute.ActivationRelu6}, // tail rows
		{dtypes.Float32, []int{2, 6, 5, 4}, 1, compute.ActivationRelu6}, // scalar loop
		{dtypes.Float64, []int{2, 5, 5, 8}, 3, compute.ActivationRelu6},
		{dtypes.Float64, []int{2, 5, 5, 8}, 3, compute.ActivationRelu},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%v/axis%d/%s", tc.dtype, tc.dims, tc.featureAxis, tc.act), func(t *testing.T) {
			run := func(fuse bool) [][]float64 {
				builder := backend.Builder("bnact").(*gobackend.Builder)
				main := builder.Main().(*gobackend.Function)
				shape := shapes.Make(tc.dtype, tc.dims...)
				c := tc.dims[tc.featureAxis]
				must := func(v compute.Value, err error) compute.Value {
					t.Helper()
					if err != nil {
						t.Fatalf("%+v", err)
					}
					return v
				}
				x := must(main.Parameter("x", shape, nil))
				scale := must(main.Parameter("scale", shapes.Make(tc.dtype, c), nil))
				offset := must(main.Parameter("offset", shapes.Make(tc.dtype, c), nil))
				dOut := must(main.Parameter("dOut", shape, nil))
				norm, mean, variance, err := main.BatchNormForTraining(x, scale, offset, 1e-5, tc.featureAxis)
				if err != nil {
					t.Fatal(err)
				}
				cfg := compute.ActivationConfig{Type: tc.act}
				y := must(main.FusedActivation(norm, cfg))
				dNorm := must(main.FusedActivationVJP(y, norm, dOut, cfg)) // GoMLX passes the input too
				dx, dScale, dOffset, err := main.BatchNormGradient(x, scale, mean, variance, dNorm, 1e-5, tc.featureAxis)
				if err != nil {
					t.Fatal(err)
				}
				outs := []compute.Value{y, mean, variance, dx, dScale, dOffset}
				if !fuse {
					outs = append(outs, norm, dNorm)
				}
				if err := main.Return(outs, nil); err != nil {
					t.Fatal(err)
				}
				exec, err := builder.Compile()
				if err != nil {
					t.Fatalf("%+v", err)
				}
				fusedFwd := y.(*gobackend.Node).OpType == compute.OpTypeIdentity
				fusedBwd := len(dx.(*gobackend.Node).Inputs[0].Inputs) == 6
				if fusedFwd != fuse || fusedBwd != fuse {
					t.Fatalf("fuse=%v: forward fused %v, backward fused %v", fuse, fusedFwd, fusedBwd)
				}
				n := shape.Size()
				gen := func(size int, f func(i int) float64) compute.Buffer {
					var flat any
					if tc.dtype == dtypes.Float32 {
						v := make([]float32, size)
						for i := range v {
							v[i] = float32(f(i))
						}
						flat = v
					} else {
						v := make([]float64, size)
						for i := range v {
							v[i] = f(i)
						}
						flat = v
					}
					s := shapes.Make(tc.dtype, size)
					if size == n {
						s = shape
					} else {
						s = shapes.Make(tc.dtype, c)
					}
					buf, err := backend.BufferFromFlatData(0, flat, s)
					if err != nil {
						t.Fatal(err)
					}
					return buf
				}
				inputs := []compute.Buffer{
					gen(n, func(i int) float64 { return math.Sin(float64(i)*0.37) * 3 }),
					gen(c, func(i int) float64 { return 2 + math.Cos(float64(i)) }),
					gen(c, func(i int) float64 { return 1.5 * math.Sin(float64(i)*1.3) }),
					gen(n, func(i int) float64 { return math.Cos(float64(i) * 0.11) }),
				}
				results, err := exec.Execute(inputs, nil, 0)
				if err != nil {
					t.Fatalf("%+v", err)
				}
				var res [][]float64
				for _, r := range results[:6] {
					var v []float64
					switch flat := r.(*gobackend.Buffer).Flat.(type) {
					case []float32:
						for _, e := range flat {
							v = append(v, float64(e))
						}
					case []float64:
						v = flat
					}
					res = append(res, v)
				}
				return res
			}
			fused, plain := run(true), run(false)
			for i, name := range []string{"output", "mean", "variance", "dx", "dScale", "dOffset"} {
				clipped := 0
				for j := range fused[i] {
					if d := math.Abs(fused[i][j] - plain[i][j]); d > 1e-5*(1+math.Abs(plain[i][j])) {
						t.Fatalf("%s[%d]: fused %g, separate ops %g", name, j, fused[i][j], plain[i][j])
					}
					if i == 0 && (plain[i][j] == 0 || plain[i][j] == 6) {
						clipped++
					}
				}
				if i == 0 && clipped == 0 {
					t.Errorf("no output value was clipped: the test does not exercise the activation")
				}
			}
		})
	}
}
