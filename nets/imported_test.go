package nets

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/nets/layers"
)

// TestImportedLayerKinds checks the layer kinds imported TensorFlow models need — 2×2 stride-2
// max pooling, channel padding, convolutions without padding (even kernels included) — on
// hand-computed values and their gradients against central finite differences (float64).
func TestImportedLayerKinds(t *testing.T) {
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		layer Layer
		dims  []int // input [N, H, W, C]
		want  []int // output dims
		check func(t *testing.T, in, out []float64)
	}{
		{"maxpool 2x2/s2", Layer{Op: OpMaxPool, Kernel: 2, Stride: 2}, []int{1, 4, 6, 2}, []int{1, 2, 3, 2},
			func(t *testing.T, in, out []float64) {
				// Output (y, x, c) is the maximum of the input's 2×2 block at (2y, 2x).
				for y := range 2 {
					for x := range 3 {
						for c := range 2 {
							m := math.Inf(-1)
							for dy := range 2 {
								for dx := range 2 {
									m = max(m, in[((2*y+dy)*6+2*x+dx)*2+c])
								}
							}
							if got := out[(y*3+x)*2+c]; got != m {
								t.Errorf("(%d, %d, %d) = %g, want %g", y, x, c, got, m)
							}
						}
					}
				}
			}},
		{"pad 3 to 5 channels", Layer{Op: OpPad, Out: 5}, []int{2, 2, 3, 3}, []int{2, 2, 3, 5},
			func(t *testing.T, in, out []float64) {
				for p := range 2 * 2 * 3 {
					for c := range 5 {
						want := 0.0
						if c < 3 {
							want = in[p*3+c]
						}
						if got := out[p*5+c]; got != want {
							t.Errorf("pixel %d channel %d = %g, want %g", p, c, got, want)
						}
					}
				}
			}},
		{"conv 2x2 valid", Layer{Op: OpConv, Out: 4, Kernel: 2, Pad: PadValid, Bias: true}, []int{1, 2, 2, 3}, []int{1, 1, 1, 4}, nil},
		{"conv 3x3/s2 valid + sigmoid", Layer{Op: OpConv, Out: 2, Kernel: 3, Stride: 2, Pad: PadValid, Act: layers.Sigmoid}, []int{1, 7, 5, 2}, []int{1, 3, 2, 2}, nil},
		{"depthwise 3x3 valid", Layer{Op: OpConv, Out: 3, Kernel: 3, Groups: 3, Pad: PadValid}, []int{1, 5, 6, 3}, []int{1, 3, 4, 3}, nil},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.layer
			l.Name, l.Inputs = "l", []string{Input}
			net := &Net{Name: tc.name, InputChannels: tc.dims[3], InputMultiple: 1, Joints: tc.want[3], Layers: []Layer{l}, Heads: Heads{Heatmaps: "l"}}
			shapes, err := net.Shapes(tc.dims[1], tc.dims[2])
			if err != nil {
				t.Fatal(err)
			}
			if s := shapes["l"]; s != (Shape{tc.want[1], tc.want[2], tc.want[3]}) {
				t.Fatalf("Shapes says %v, want %v", s, tc.want[1:])
			}
			store := model.NewStore()
			store.SetParam(model.ParamInitialSeed, int64(20+i))
			forward := func(scope *model.Scope, x *graph.Node) *graph.Node {
				out, err := Build(scope, net, x, false)
				if err != nil {
					panic(err)
				}
				return out.Heatmaps
			}
			loss := func(scope *model.Scope, x *graph.Node) *graph.Node {
				y := forward(scope, x)
				w := graph.Sin(graph.AddScalar(graph.IotaFull(x.Graph(), y.Shape()), 0.5))
				return graph.ReduceAllSum(graph.Mul(y, w))
			}
			fwdExec, err := model.NewExec(be, store, forward)
			if err != nil {
				t.Fatal(err)
			}
			lossExec, err := model.NewExec(be, store, loss)
			if err != nil {
				t.Fatal(err)
			}
			gradExec, err := model.NewExec(be, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
				return graph.Gradient(loss(scope, x), x)[0]
			})
			if err != nil {
				t.Fatal(err)
			}
			n := 1
			for _, d := range tc.dims {
				n *= d
			}
			base := make([]float64, n)
			for k := range base {
				// Distinct values (no ties in the max pooling), signs mixed.
				base[k] = math.Sin(float64(7*k+3)) + 0.01*float64(k)
			}
			x := tensors.FromFlatDataAndDimensions(base, tc.dims...)
			outT, err := fwdExec.Call1(x)
			if err != nil {
				t.Fatal(err)
			}
			if got := outT.Shape().Dimensions; len(got) != 4 || got[1] != tc.want[1] || got[2] != tc.want[2] || got[3] != tc.want[3] {
				t.Fatalf("output %v, want %v", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, base, tensors.MustCopyFlatData[float64](outT))
			}
			gradT, err := gradExec.Call1(x)
			if err != nil {
				t.Fatal(err)
			}
			grad := tensors.MustCopyFlatData[float64](gradT)
			const eps = 1e-5
			for k := 0; k < n; k += 1 + n/17 {
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
