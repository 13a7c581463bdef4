package layers

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestGradientsMatchFiniteDifferences checks, in float64, d/dx of sum(block(x)·r) against central
// finite differences for every building block.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	backend := goBackend(t)
	blocks := []struct {
		name  string
		dims  []int
		block func(s *model.Scope, x *graph.Node) *graph.Node
	}{
		{"conv3x3/s2+bn(train)+relu6", []int{2, 5, 6, 3}, func(s *model.Scope, x *graph.Node) *graph.Node {
			return Conv(s, x).Channels(4).Kernel(3).Stride(2).BatchNorm(true).Training(true).Activation(ReLU6).Done()
		}},
		{"conv1x1/s2+bias", []int{1, 6, 4, 3}, func(s *model.Scope, x *graph.Node) *graph.Node {
			return Conv(s, x).Channels(2).Stride(2).Done()
		}},
		{"conv3x3+bn(inference)", []int{1, 4, 4, 2}, func(s *model.Scope, x *graph.Node) *graph.Node {
			return Conv(s, x).Channels(3).Kernel(3).BatchNorm(true).Done()
		}},
		{"depthwise3x3/s2", []int{1, 7, 6, 3}, func(s *model.Scope, x *graph.Node) *graph.Node {
			return DepthwiseConv(s, x).Stride(2).Done()
		}},
		{"grouped3x3", []int{1, 4, 4, 4}, func(s *model.Scope, x *graph.Node) *graph.Node {
			return Conv(s, x).Channels(2).Kernel(3).Groups(2).Done()
		}},
		{"deconv4x4/s2+bn(train)", []int{2, 3, 4, 3}, func(s *model.Scope, x *graph.Node) *graph.Node {
			return Deconv(s, x).Channels(2).BatchNorm(true).Training(true).Done()
		}},
		{"maxpool3x3/s2", []int{1, 5, 6, 2}, func(_ *model.Scope, x *graph.Node) *graph.Node {
			return MaxPool(x, 3, 2)
		}},
		{"upsample bilinear", []int{1, 3, 4, 2}, func(_ *model.Scope, x *graph.Node) *graph.Node {
			return Upsample2x(x, Bilinear)
		}},
		{"upsample nearest", []int{1, 3, 2, 2}, func(_ *model.Scope, x *graph.Node) *graph.Node {
			return Upsample2x(x, Nearest)
		}},
	}
	for i, tc := range blocks {
		t.Run(tc.name, func(t *testing.T) {
			store := newStore(int64(10 + i))
			lossFn := func(scope *model.Scope, x *graph.Node) *graph.Node {
				y := tc.block(scope.At("block"), x)
				// A fixed, non-uniform weighting of the outputs (an iota-based pattern).
				w := graph.Sin(graph.AddScalar(graph.IotaFull(x.Graph(), y.Shape()), 0.5))
				return graph.ReduceAllSum(graph.Mul(y, w))
			}
			lossExec, err := model.NewExec(backend, store, lossFn)
			if err != nil {
				t.Fatal(err)
			}
			gradExec, err := model.NewExec(backend, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
				return graph.Gradient(lossFn(scope, x), x)[0]
			})
			if err != nil {
				t.Fatal(err)
			}
			x := randomTensor[float64](uint64(100+i), tc.dims...)
			gradT, err := gradExec.Call1(x)
			if err != nil {
				t.Fatal(err)
			}
			grad := tensors.MustCopyFlatData[float64](gradT)
			base := tensors.MustCopyFlatData[float64](x)
			const eps = 1e-5
			for k := 0; k < len(base); k += 1 + len(base)/13 {
				at := func(delta float64) float64 {
					v := append([]float64(nil), base...)
					v[k] += delta
					out, err := lossExec.Call1(tensors.FromFlatDataAndDimensions(v, tc.dims...))
					if err != nil {
						t.Fatal(err)
					}
					return tensors.MustCopyFlatData[float64](out)[0]
				}
				numeric := (at(eps) - at(-eps)) / (2 * eps)
				if math.Abs(numeric-grad[k]) > 1e-5*(1+math.Abs(numeric)) {
					t.Errorf("d/dx[%d] = %.8g, finite difference %.8g", k, grad[k], numeric)
				}
			}
		})
	}
}
