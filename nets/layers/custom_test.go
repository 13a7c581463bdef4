package layers

import (
	"testing"

	"github.com/gomlx/compute/shapes"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// TestConvGradientsMatchNative checks the gradients of the lowered convolutions (with respect to the
// input and to the weights), hand-written in training mode and GoMLX's own in inference mode, against
// GoMLX's autodiff of its native ConvGeneral with the same weights, on a loss that weighs every output
// differently.
func TestConvGradientsMatchNative(t *testing.T) {
	backend := goBackend(t)
	cases := []struct {
		name                               string
		h, w, in, out, kernel, stride, grp int
	}{
		{"1x1 expand", 5, 6, 3, 7, 1, 1, 1},
		{"1x1 project", 5, 6, 7, 3, 1, 1, 1},
		{"1x1/s2 odd", 7, 5, 4, 3, 1, 2, 1},
		{"3x3", 6, 5, 3, 4, 3, 1, 1},
		{"3x3/s2 odd", 7, 9, 2, 3, 3, 2, 1},
		{"5x5/s2", 9, 8, 2, 2, 5, 2, 1},
		{"depthwise 3x3", 6, 7, 5, 5, 3, 1, 5},
		{"depthwise 3x3/s2", 8, 7, 4, 4, 3, 2, 4},
		{"depthwise 3x3/s2 odd", 7, 9, 3, 3, 3, 2, 3},
		{"depthwise 5x5/s2", 9, 9, 3, 3, 5, 2, 3},
		{"depthwise 1x1", 4, 5, 3, 3, 1, 1, 3},
		{"grouped 3x3", 5, 5, 4, 6, 3, 1, 2},
	}
	for i, tc := range cases {
		for _, training := range []bool{true, false} {
			name := tc.name + "/inference"
			if training {
				name = tc.name + "/training"
			}
			t.Run(name, func(t *testing.T) {
				x := randomTensor[float32](uint64(40+i), 2, tc.h, tc.w, tc.in)
				outs, err := model.CallOnceN(backend, newStore(int64(40+i)), func(scope *model.Scope, x *graph.Node) []*graph.Node {
					s := scope.At("conv")
					got := Conv(s, x).Channels(tc.out).Kernel(tc.kernel).Stride(tc.stride).Groups(tc.grp).Training(training).Done()
					kernel := s.GetVariable("weights").NodeValue(x.Graph())
					p := (tc.kernel - 1) / 2
					want := graph.Convolve(x, kernel).StridePerAxis(tc.stride, tc.stride).
						PaddingPerDim([][2]int{{p, p}, {p, p}}).ChannelGroupCount(tc.grp).Done()
					weights := graph.Sin(graph.AddScalar(graph.IotaFull(x.Graph(), got.Shape()), 0.5))
					gotGrads := graph.Gradient(graph.ReduceAllSum(graph.Mul(got, weights)), x, kernel)
					wantGrads := graph.Gradient(graph.ReduceAllSum(graph.Mul(want, weights)), x, kernel)
					return []*graph.Node{gotGrads[0], wantGrads[0], gotGrads[1], wantGrads[1]}
				}, x)
				if err != nil {
					t.Fatal(err)
				}
				t.Run("input", func(t *testing.T) { assertClose(t, outs[0], outs[1], 1e-4) })
				t.Run("weights", func(t *testing.T) { assertClose(t, outs[2], outs[3], 1e-4) })
			})
		}
	}
}

// TestBatchNormGradientsMatchAutodiff checks the hand-written gradient of training-mode batch norm
// (with respect to its input, scale and offset) against GoMLX's autodiff of the same formula.
func TestBatchNormGradientsMatchAutodiff(t *testing.T) {
	backend := goBackend(t)
	x := randomTensor[float32](61, 3, 4, 5, 6)
	outs, err := model.CallOnceN(backend, newStore(61), func(scope *model.Scope, x *graph.Node) []*graph.Node {
		g := x.Graph()
		bn := newBNVariables(scope.At("bn"), shapes.Make(x.DType(), 6))
		// Non-trivial scale and offset, so that their gradients' terms all matter.
		scale := graph.AddScalar(graph.Sin(graph.IotaFull(g, bn.scale.Shape())), 1.5)
		offset := graph.Cos(graph.IotaFull(g, bn.offset.Shape()))
		bn.scale.SetNodeValue(scale)
		bn.offset.SetNodeValue(offset)
		got := bn.train(x)
		mean := graph.ReduceMean(x, 0, 1, 2)
		centered := graph.Sub(x, channelVector(mean))
		invStd := graph.Reciprocal(graph.Sqrt(graph.AddScalar(graph.ReduceMean(graph.Square(centered), 0, 1, 2), BNEpsilon)))
		want := graph.Add(graph.Mul(centered, channelVector(graph.Mul(invStd, scale))), channelVector(offset))
		weights := graph.Sin(graph.AddScalar(graph.IotaFull(g, got.Shape()), 0.5))
		gotGrads := graph.Gradient(graph.ReduceAllSum(graph.Mul(got, weights)), x, scale, offset)
		wantGrads := graph.Gradient(graph.ReduceAllSum(graph.Mul(want, weights)), x, scale, offset)
		return append(append([]*graph.Node{got, want}, gotGrads...), wantGrads...)
	}, x)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"output", "d/dx", "d/dscale", "d/doffset"} {
		t.Run(name, func(t *testing.T) {
			got, want := outs[0], outs[1]
			if i > 0 {
				got, want = outs[1+i], outs[4+i]
			}
			assertClose(t, got, want, 1e-4)
		})
	}
}

// TestDeconvGradientsAgreeAcrossModes checks the transposed convolution's gradients (input and
// weights), hand-written in training mode, against GoMLX's own derivation of the inference-mode graph
// (without batch norm the two compute the same function).
func TestDeconvGradientsAgreeAcrossModes(t *testing.T) {
	backend := goBackend(t)
	x := randomTensor[float32](81, 2, 3, 4, 5)
	outs, err := model.CallOnceN(backend, newStore(81), func(scope *model.Scope, x *graph.Node) []*graph.Node {
		var res []*graph.Node
		for _, training := range []bool{true, false} {
			s := scope.At("deconv")
			y := Deconv(s, x).Channels(3).Bias(true).Training(training).Done()
			kernel := s.GetVariable("weights").NodeValue(x.Graph())
			weights := graph.Sin(graph.AddScalar(graph.IotaFull(x.Graph(), y.Shape()), 0.5))
			res = append(res, graph.Gradient(graph.ReduceAllSum(graph.Mul(y, weights)), x, kernel)...)
		}
		return res
	}, x)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("input", func(t *testing.T) { assertClose(t, outs[0], outs[2], 1e-5) })
	t.Run("weights", func(t *testing.T) { assertClose(t, outs[1], outs[3], 1e-5) })
}

// TestActivationGradientsMatchAutodiff checks the hand-written gradients of ReLU and ReLU6 against
// GoMLX's autodiff of Apply, on inputs that straddle both kinks (and never sit exactly on one).
func TestActivationGradientsMatchAutodiff(t *testing.T) {
	backend := goBackend(t)
	for _, act := range []Activation{ReLU, ReLU6} {
		t.Run(string(act), func(t *testing.T) {
			x := randomTensor[float32](71, 2, 3, 4, 5)
			outs, err := model.CallOnceN(backend, newStore(71), func(_ *model.Scope, x *graph.Node) []*graph.Node {
				x = graph.MulScalar(x, 4) // spread over (−12, 12): both sides of 0 and 6
				weights := graph.Sin(graph.AddScalar(graph.IotaFull(x.Graph(), x.Shape()), 0.5))
				got := activate(act, x, true)
				want := Apply(act, x)
				gotGrad := graph.Gradient(graph.ReduceAllSum(graph.Mul(got, weights)), x)[0]
				wantGrad := graph.Gradient(graph.ReduceAllSum(graph.Mul(want, weights)), x)[0]
				return []*graph.Node{got, want, gotGrad, wantGrad}
			}, x)
			if err != nil {
				t.Fatal(err)
			}
			assertClose(t, outs[0], outs[1], 1e-6)
			assertClose(t, outs[2], outs[3], 1e-6)
		})
	}
}
