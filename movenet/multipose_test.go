package movenet

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/tfjs"
)

// multiPoseGraphHeads are the nodes of MultiPose's graph where its decoding starts: the heads'
// convolutions, and the keypoint heatmaps after their sigmoid.
var multiPoseGraphHeads = struct{ heatmaps, centre, regression, offsets, boxScale, boxOffset string }{
	heatmaps:   "StatefulPartitionedCall/Sigmoid_1",
	centre:     "StatefulPartitionedCall/center_0/conv2d_4/BiasAdd",
	regression: "StatefulPartitionedCall/kpt_regress_0/conv2d_8/BiasAdd",
	offsets:    "StatefulPartitionedCall/kpt_offset_0/conv2d_9/BiasAdd",
	boxScale:   "StatefulPartitionedCall/box_scale_0/conv2d_5/BiasAdd",
	boxOffset:  "StatefulPartitionedCall/box_offset_0/conv2d_6/BiasAdd",
}

// compareMultiPose compares two MultiPose outputs row by row: every keypoint from the same cell
// (positions within half a cell of h×w cells, or within tol), and every value within tol. It
// returns the largest differences of the positions (0–1), confidences and scores, and of the
// boxes.
func compareMultiPose(t *testing.T, name string, got, want []float32, h, w int, tol float64) (dPos, dConf, dBox float64) {
	t.Helper()
	if len(got) != MaxPeople*MultiPoseRow || len(want) != len(got) {
		t.Fatalf("%s: %d and %d values, want %d", name, len(got), len(want), MaxPeople*MultiPoseRow)
	}
	for p := range MaxPeople {
		g, wt := got[p*MultiPoseRow:(p+1)*MultiPoseRow], want[p*MultiPoseRow:(p+1)*MultiPoseRow]
		for k := range NumKeypoints {
			for a, n := range []int{h, w} {
				x, y := float64(g[3*k+a]), float64(wt[3*k+a])
				if math.Abs(x-y) > tol && math.Abs(x-y) > 0.5/float64(n) {
					t.Errorf("%s: person %d joint %d axis %d at %v, the graph's at %v (another cell)", name, p, k, a, x, y)
				}
				dPos = max(dPos, math.Abs(x-y))
			}
			dConf = max(dConf, math.Abs(float64(g[3*k+2]-wt[3*k+2])))
		}
		for i := 3 * NumKeypoints; i < MultiPoseRow-1; i++ {
			dBox = max(dBox, math.Abs(float64(g[i]-wt[i])))
		}
		dConf = max(dConf, math.Abs(float64(g[MultiPoseRow-1]-wt[MultiPoseRow-1])))
	}
	if dPos > tol || dConf > tol || dBox > tol {
		t.Errorf("%s: differs from the graph by %.2g (positions), %.2g (confidences, scores), %.2g (boxes), want ≤ %g", name, dPos, dConf, dBox, tol)
	}
	return dPos, dConf, dBox
}

// TestDecodeMultiPoseAsGraph feeds the same heads to DecodeMultiPose and to the decoding part of
// MultiPose's own graph (everything after its heads, built by package tfjs): random heads with
// many candidate centres, few centres (fewer peaks than MaxPeople, so that zero-score people are
// picked by TopK's tie order), boxes reaching past the map, and non-square maps. The outputs
// agree within float32 rounding, every keypoint from the same cell.
func TestDecodeMultiPoseAsGraph(t *testing.T) {
	file, _ := MultiPose.File()
	mdl, wts, err := tfjs.ReadFile(modelstore.MoveNetPath(testkit.MoveNetCache(t), file))
	if err != nil {
		t.Fatal(err)
	}
	g, err := tfjs.NewGraph(mdl, wts)
	if err != nil {
		t.Fatal(err)
	}
	if err := multiPoseConstants(wts); err != nil {
		t.Fatal(err)
	}
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	hn := multiPoseGraphHeads
	names := []string{hn.heatmaps, hn.centre, hn.regression, hn.offsets, hn.boxScale, hn.boxOffset}
	exec, err := graph.NewExec(be, func(ins []*graph.Node) []*graph.Node {
		given := map[string]*graph.Node{}
		for i, n := range names {
			given[n] = ins[i+1]
		}
		outs, err := g.BuildWith(ins[:1], given)
		if err != nil {
			panic(err)
		}
		return outs
	})
	if err != nil {
		t.Fatal(err)
	}
	type heads = MultiPoseHeads
	cases := []struct {
		name string
		h, w int
		// centres: the number of centre bumps (0: random logits everywhere); box: the box
		// scale's range in cells; reach: the box offsets' and regressions' range.
		centres   int
		box       float64
		reach     float64
		seed      uint64
		threshold bool // heatmaps mostly below the keypoint threshold
	}{
		{name: "random 16×16", h: 16, w: 16, box: 12, reach: 4, seed: 1},
		{name: "random 8×24", h: 8, w: 24, box: 10, reach: 6, seed: 2},
		{name: "two people 16×20", h: 16, w: 20, centres: 2, box: 8, reach: 3, seed: 3},
		{name: "one person 12×12, boxes past the map", h: 12, w: 12, centres: 1, box: 40, reach: 20, seed: 4},
		{name: "three people 10×14, far regressions", h: 10, w: 14, centres: 3, box: 14, reach: 30, seed: 6},
		{name: "random 64×40, faint joints", h: 64, w: 40, box: 30, reach: 10, seed: 5, threshold: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(tc.seed, 14))
			n := tc.h * tc.w
			uniform := func(m int, lo, hi float64) []float32 {
				v := make([]float32, m)
				for i := range v {
					v[i] = float32(lo + (hi-lo)*r.Float64())
				}
				return v
			}
			o := heads{
				Heatmaps:   make([]float32, n*NumKeypoints),
				Centre:     uniform(n, -6, 2),
				Regression: uniform(n*2*NumKeypoints, -tc.reach, tc.reach),
				Offsets:    uniform(n*2*NumKeypoints, -1, 1),
				BoxScale:   uniform(n*2, -1, tc.box),
				BoxOffset:  uniform(n*2, -tc.reach, tc.reach),
			}
			for i := range o.Heatmaps {
				x := r.NormFloat64()*2 - 1
				if tc.threshold {
					x -= 2
				}
				o.Heatmaps[i] = float32(1 / (1 + math.Exp(-x)))
			}
			if tc.centres > 0 {
				for i := range o.Centre {
					o.Centre[i] = -200 // a probability of 0 in float32: no peak there
				}
				for range tc.centres {
					cy, cx := r.IntN(tc.h), r.IntN(tc.w)
					for i := range o.Centre {
						d := math.Hypot(float64(i/tc.w-cy), float64(i%tc.w-cx))
						o.Centre[i] = max(o.Centre[i], float32(2-d))
					}
				}
			}
			img := make([]int32, 16*tc.h*tc.w*3)
			args := []any{tensors.FromFlatDataAndDimensions(img, 1, 4*tc.h, 4*tc.w, 3)}
			for i, v := range [][]float32{o.Heatmaps, o.Centre, o.Regression, o.Offsets, o.BoxScale, o.BoxOffset} {
				c := []int{NumKeypoints, 1, 2 * NumKeypoints, 2 * NumKeypoints, 2, 2}[i]
				args = append(args, tensors.FromFlatDataAndDimensions(v, 1, tc.h, tc.w, c))
			}
			res, err := exec.Call(args...)
			if err != nil {
				t.Fatal(err)
			}
			want, err := tensors.CopyFlatData[float32](res[0])
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeMultiPose(o, tc.h, tc.w)
			if err != nil {
				t.Fatal(err)
			}
			scored := 0
			for p := range MaxPeople {
				if want[(p+1)*MultiPoseRow-1] > 0 {
					scored++
				}
			}
			dPos, dConf, dBox := compareMultiPose(t, tc.name, got, want, tc.h, tc.w, 2e-6)
			t.Logf("%d people with a score > 0; max |Δ| positions %.2g, confidences and scores %.2g, boxes %.2g", scored, dPos, dConf, dBox)
		})
	}
}

// TestDecodeMultiPoseErrors checks that heads of the wrong sizes are refused.
func TestDecodeMultiPoseErrors(t *testing.T) {
	ok := func(h, w int) MultiPoseHeads {
		n := h * w
		return MultiPoseHeads{Heatmaps: make([]float32, n*NumKeypoints), Centre: make([]float32, n),
			Regression: make([]float32, n*2*NumKeypoints), Offsets: make([]float32, n*2*NumKeypoints),
			BoxScale: make([]float32, 2*n), BoxOffset: make([]float32, 2*n)}
	}
	short := ok(4, 4)
	short.BoxOffset = short.BoxOffset[1:]
	cases := []struct {
		name  string
		heads MultiPoseHeads
		h, w  int
		fails bool
	}{
		{"4×4", ok(4, 4), 4, 4, false},
		{"too few cells", ok(1, 5), 1, 5, true},
		{"sizes of another map", ok(4, 4), 4, 5, true},
		{"short box offsets", short, 4, 4, true},
	}
	for _, tc := range cases {
		out, err := DecodeMultiPose(tc.heads, tc.h, tc.w)
		if (err != nil) != tc.fails {
			t.Errorf("%s: error %v, want failure %v", tc.name, err, tc.fails)
		}
		if err == nil && len(out) != MaxPeople*MultiPoseRow {
			t.Errorf("%s: %d values", tc.name, len(out))
		}
	}
}

// TestMultiPoseDecodesAsGraph checks MultiPose as the estimator runs it — the imported nets.Net
// with its six heads, decoded by DecodeMultiPose — against MultiPose's own TF.js graph on real
// photos at the default and a larger input side: the raw outputs agree within float32 rounding
// (every keypoint from the same cell), and so do the people Estimate returns.
func TestMultiPoseDecodesAsGraph(t *testing.T) {
	e := open(t, MultiPose)
	r, _ := graphRunner(t, MultiPose)
	basketball2 := "/usr/share/doc/opencv-doc/examples/data/basketball2.png"
	cases := []struct {
		photo string
		side  int
	}{
		{photo, 256}, {basketball1, 256}, {basketball2, 256}, {basketball1, 512},
	}
	ctx := context.Background()
	for _, tc := range cases {
		img := testkit.Photo(t, tc.photo)
		e.MultiPoseMaxDimension = tc.side
		f, err := e.multiPoseFrame(img)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Infer(ctx, f.in, f.ph, f.pw)
		if err != nil {
			t.Fatal(err)
		}
		outs, err := r.Run(ctx, tensors.FromFlatDataAndDimensions(f.in, 1, f.ph, f.pw, 3))
		if err != nil {
			t.Fatal(err)
		}
		want := outs[0].Values
		name := fmt.Sprintf("%s at %d", filepath.Base(tc.photo), tc.side)
		dPos, dConf, dBox := compareMultiPose(t, name, got, want, f.ph/4, f.pw/4, 2e-5)
		gotPeople, err := e.multiPosePeople(got, f)
		if err != nil {
			t.Fatal(err)
		}
		wantPeople, err := e.multiPosePeople(want, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(gotPeople) != len(wantPeople) || len(gotPeople) == 0 {
			t.Fatalf("%s: %d people, the graph finds %d", name, len(gotPeople), len(wantPeople))
		}
		var dPx float64
		for i, p := range gotPeople {
			for k, kp := range p.Keypoints {
				q := wantPeople[i].Keypoints[k]
				dPx = max(dPx, math.Abs(kp[0]-q[0]), math.Abs(kp[1]-q[1]))
			}
		}
		t.Logf("%s (%d×%d input): the graph's %d people; max |Δ| keypoints %.2g px (%.2g of the input), confidences and scores %.2g, boxes %.2g",
			name, f.ph, f.pw, len(gotPeople), dPx, dPos, dConf, dBox)
	}
}
