package movenet

import (
	"context"

	"math"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/tfjs"
)

// graphRunner returns a runner of model m's whole TF.js graph (the path Lightning and Thunder
// took before they ran as imported nets), and the graph's weights.
func graphRunner(t testing.TB, m Model) (*tfjs.Runner, map[string]*tfjs.Tensor) {
	t.Helper()
	file, err := m.File()
	if err != nil {
		t.Fatal(err)
	}
	mdl, w, err := tfjs.ReadFile(modelstore.MoveNetPath(testkit.MoveNetCache(t), file))
	if err != nil {
		t.Fatal(err)
	}
	g, err := tfjs.NewGraph(mdl, w)
	if err != nil {
		t.Fatal(err)
	}
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	r, err := tfjs.NewRunner(be, g)
	if err != nil {
		t.Fatal(err)
	}
	return r, w
}

// TestImportedNetDecodesAsGraph checks Lightning and Thunder as the estimator runs them — the
// imported nets.Net with MoveNet's offset, regression and centre heads, decoded by the codec's
// MoveNet kind (codec.Codec.DecodeOffsets) — against MoveNet's own TF.js graph on crops of two
// real photos (the first, whole-image crop and the tracked one): every keypoint's y, x (0–1 of
// the crop) within float32 rounding, the same arg-max cells, the same confidences. It also checks
// the codec's centre weights and cell scale against the constants of the graphs.
func TestImportedNetDecodesAsGraph(t *testing.T) {
	for _, m := range []Model{Lightning, Thunder} {
		e := open(t, m)
		r, w := graphRunner(t, m)
		n := m.InputSize() / 4
		recip := w["ConstantFolding/StatefulPartitionedCall/truediv_2_recip"]
		if recip == nil || len(recip.Values) != n*n {
			t.Fatalf("%s: no %d×%d centre weights in the graph", m, n, n)
		}
		// The graph's weights are 1/(distance + 1.8) rounded to float16; where that value lies
		// within float32 rounding of a float16 tie, the two roundings may differ by one float16
		// step (2⁻¹⁶ here).
		off := 0
		for i, v := range recip.Values {
			got := float64(codec.MoveNetCentreWeight(i/n, i%n, n, n))
			if got != v {
				off++
			}
			if math.Abs(got-v) > math.Ldexp(1, -16) {
				t.Fatalf("%s: centre weight at cell %d is %v, the graph's %v", m, i, got, v)
			}
		}
		t.Logf("%s: %d of %d centre weights one float16 step from the graph's", m, off, n*n)
		if s := w["StatefulPartitionedCall/Reshape_13"]; s == nil || float64(codec.MoveNetScale(n)) != s.Values[0] {
			t.Fatalf("%s: cell scale %v, the graph's %v", m, codec.MoveNetScale(n), s)
		}
		for _, path := range []string{photo, basketball1} {
			img := testkit.Photo(t, path)
			b := img.Bounds()
			first := InitCropRegion(b.Dy(), b.Dx())
			people, err := e.Estimate(context.Background(), img)
			if err != nil || len(people) != 1 {
				t.Fatalf("%s %s: %d people, %v", m, path, len(people), err)
			}
			var norm [NumKeypoints][3]float64
			for k, p := range people[0].Keypoints {
				norm[k] = [3]float64{p[1] / float64(b.Dy()), p[0] / float64(b.Dx()), p[2]}
			}
			tracked := DetermineCropRegion(norm, b.Dy(), b.Dx(), e.MinCropKeypointScore)
			for ci, crop := range []Region{first, tracked} {
				in := CropAndResize(img, crop, m.InputSize(), m.InputSize())
				got, err := e.Infer(context.Background(), in, m.InputSize(), m.InputSize())
				if err != nil {
					t.Fatal(err)
				}
				want, err := r.Run(context.Background(), tensors.FromFlatDataAndDimensions(in, 1, m.InputSize(), m.InputSize(), 3))
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want[0].Values) {
					t.Fatalf("%d values, the graph gives %d", len(got), len(want[0].Values))
				}
				var dPos, dScore float64
				for k := range NumKeypoints {
					for a := range 2 {
						g, w := float64(got[3*k+a]), float64(want[0].Values[3*k+a])
						// The same cell: the positions differ by the offsets' rounding only.
						if math.Floor(g*float64(n)+0.5) != math.Floor(w*float64(n)+0.5) && math.Abs(g-w) > 0.5/float64(n) {
							t.Errorf("%s %s crop %d: joint %d axis %d at %v, the graph's at %v (another cell)", m, path, ci, k, a, g, w)
						}
						dPos = math.Max(dPos, math.Abs(g-w))
					}
					dScore = math.Max(dScore, math.Abs(float64(got[3*k+2])-float64(want[0].Values[3*k+2])))
				}
				t.Logf("%s %s crop %d: max |Δ| position %.2g (of the crop), confidence %.2g", m, path, ci, dPos, dScore)
				if dPos > 2e-5 || dScore > 2e-5 {
					t.Errorf("%s %s crop %d: keypoints differ from the graph's by %.2g (position), %.2g (confidence)", m, path, ci, dPos, dScore)
				}
			}
		}
	}
}
