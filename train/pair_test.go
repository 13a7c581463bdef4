package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/nets"
)

// PairContrastMSE is mean(w_j·w_o·max(T_o − T_j, 0)·[T_j < PairOwnFloor]·H_j²) over batch, pixels
// and joints: checked against that sum written out, and on the cases that give it its purpose.
func TestPairContrastMSE(t *testing.T) {
	const n, h, w, k = 2, 4, 3, 3
	flip := []int{0, 2, 1} // joint 0 has no counterpart (a nose); 1 and 2 are a left/right pair
	at := func(b, y, x, j int) int { return ((b*h+y)*w+x)*k + j }
	direct := func(heat, target, weights []float64) float64 {
		var sum float64
		for b := range n {
			for y := range h {
				for x := range w {
					for j := range k {
						o := flip[j]
						wrong := max(target[at(b, y, x, o)]-target[at(b, y, x, j)], 0)
						if target[at(b, y, x, j)] >= PairOwnFloor {
							wrong = 0
						}
						hv := heat[at(b, y, x, j)]
						sum += weights[b*k+j] * weights[b*k+o] * wrong * hv * hv
					}
				}
			}
		}
		return sum / (n * h * w * k)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	random := func() []float64 {
		v := make([]float64, n*h*w*k)
		for i := range v {
			v[i] = rng.Float64()
		}
		return v
	}
	// Two sharp targets: joint 1 at (0, 0), joint 2 at (3, 2), in both images.
	sharp := make([]float64, n*h*w*k)
	for b := range n {
		sharp[at(b, 0, 0, 1)] = 1
		sharp[at(b, 3, 2, 2)] = 1
	}
	onOwn := make([]float64, n*h*w*k)
	onOther := make([]float64, n*h*w*k)
	for b := range n {
		onOwn[at(b, 0, 0, 1)], onOther[at(b, 3, 2, 1)] = 1, 1
		onOwn[at(b, 0, 0, 0)], onOther[at(b, 3, 2, 0)] = 1, 1 // the nose, wherever it is, costs nothing
	}
	// Overlapping gaussians: where joint 1 has 0.6 of its own target, joint 2 has 0.9:
	// inside joint 1's own gaussian, nothing is charged.
	overlap := make([]float64, n*h*w*k)
	onOverlap := make([]float64, n*h*w*k)
	for b := range n {
		overlap[at(b, 1, 1, 1)], overlap[at(b, 1, 1, 2)] = 0.6, 0.9
		onOverlap[at(b, 1, 1, 1)] = 1
	}
	ones := []float64{1, 1, 1, 1, 1, 1}
	term := PairContrastMSE("pair", flip, nil)
	for _, tc := range []struct {
		name                  string
		heat, target, weights []float64
		want                  float64 // NaN: the direct sum
	}{
		{"random", random(), random(), []float64{1, 0.5, 1, 0, 1, 1}, math.NaN()},
		{"peak on its own joint", onOwn, sharp, ones, 0},
		{"peak on the other side's joint", onOther, sharp, ones, float64(n) / (n * h * w * k)},
		{"other side unlabelled", onOther, sharp, []float64{1, 1, 0, 1, 1, 0}, 0},
		{"inside its own gaussian", onOverlap, overlap, ones, 0},
	} {
		out := graph.MustExecOnce(testBackend(t), func(hm, tg, wt *graph.Node) *graph.Node {
			return term.Build(TermInputs{Out: nets.Outputs{Heatmaps: hm}, Tensors: map[string]*graph.Node{TensorHeatmaps: tg, TensorWeights: wt}})
		}, tensors.FromFlatDataAndDimensions(tc.heat, n, h, w, k),
			tensors.FromFlatDataAndDimensions(tc.target, n, h, w, k),
			tensors.FromFlatDataAndDimensions(tc.weights, n, k))
		got := tensors.MustCopyFlatData[float64](out)[0]
		want := tc.want
		if math.IsNaN(want) {
			want = direct(tc.heat, tc.target, tc.weights)
		}
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s: PairContrastMSE %.10f, want %.10f", tc.name, got, want)
		}
	}
}
