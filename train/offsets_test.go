package train

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/nets"
)

// OffsetL1 in the training graph is the L1 distance to the codec's offset targets
// (codec.Codec.OffsetTargets) over the cells they mask, weighted by the joints' GT weights, and
// RegressionL1 the L1 distance at the centre cell to each joint's position relative to it:
// both computed on the host for random heads and keypoints (inside, at the edge and outside
// the map, unlabelled, weighted 0) agree with the graph's.
func TestOffsetAndRegressionL1MatchTheCodec(t *testing.T) {
	c, err := codec.New(codec.MoveNet, 64, 48, 16, 12, 2)
	if err != nil {
		t.Fatal(err)
	}
	const n, k = 2, 4
	w, h := c.HeatW, c.HeatH
	rng := rand.New(rand.NewPCG(5, 6))
	off := make([]float32, n*h*w*2*k)
	reg := make([]float32, n*h*w*2*k)
	for i := range off {
		off[i], reg[i] = float32(rng.NormFloat64()), float32(3*rng.NormFloat64())
	}
	kps := []float32{
		10.3, 20.7, 2, 63.9, 0.2, 2, 30, 30, 0, 70, 10, 2, // an unlabelled joint, one off the map
		33.3, 47.6, 1, 2.2, 5.9, 2, 40, 12, 2, 50.5, 30.25, 2,
	}
	weights := []float32{1, 1, 1, 1, 1, 0.5, 0, 1} // joint 2 of sample 1 weighted 0
	var wantOff, wantReg, maskSum, present float64
	for i := range n {
		var jk []codec.Keypoint
		for j := range k {
			v := kps[(i*k+j)*3:]
			jk = append(jk, codec.Keypoint{X: float64(v[0]), Y: float64(v[1]), V: float64(v[2])})
		}
		to, tm := make([]float32, h*w*2*k), make([]float32, h*w*k)
		if err := c.OffsetTargets(jk, OffsetRadius, to, tm); err != nil {
			t.Fatal(err)
		}
		for cell := range h * w {
			for j := range k {
				m := float64(tm[cell*k+j]) * float64(weights[i*k+j])
				if m == 0 {
					continue
				}
				base := (i*h*w+cell)*2*k + 2*j
				wantOff += m * (math.Abs(float64(off[base]-to[cell*2*k+2*j])) + math.Abs(float64(off[base+1]-to[cell*2*k+2*j+1])))
				maskSum += m
			}
		}
		cy, cx := h/2, w/2
		for j, kp := range jk {
			p := float64(weights[i*k+j])
			if kp.V <= 0 || p == 0 {
				continue
			}
			hx, hy := c.InputToHeatmap(kp.X, kp.Y)
			base := ((i*h+cy)*w+cx)*2*k + 2*j
			wantReg += p * (math.Abs(float64(reg[base])-(hy-float64(cy))) + math.Abs(float64(reg[base+1])-(hx-float64(cx))))
			present += p
		}
	}
	wantOff /= maskSum
	wantReg /= present
	terms := []Term{OffsetL1("o", TensorKeypoints, c, OffsetRadius, nil), RegressionL1("r", TensorKeypoints, c, nil)}
	out := graph.MustExecOnceN(testBackend(t), func(o, r, kp, wt *graph.Node) []*graph.Node {
		in := TermInputs{Out: nets.Outputs{Offsets: o, Regression: r}, Tensors: map[string]*graph.Node{TensorKeypoints: kp, TensorWeights: wt}}
		return []*graph.Node{terms[0].Build(in), terms[1].Build(in)}
	}, tensors.FromFlatDataAndDimensions(off, n, h, w, 2*k), tensors.FromFlatDataAndDimensions(reg, n, h, w, 2*k),
		tensors.FromFlatDataAndDimensions(kps, n, k, 3), tensors.FromFlatDataAndDimensions(weights, n, k))
	gotOff, gotReg := float64(tensors.MustCopyFlatData[float32](out[0])[0]), float64(tensors.MustCopyFlatData[float32](out[1])[0])
	t.Logf("offset L1 %.5f over %.1f cells (host %.5f); regression L1 %.5f (host %.5f)", gotOff, maskSum, wantOff, gotReg, wantReg)
	if math.Abs(gotOff-wantOff) > 1e-4*math.Max(1, wantOff) || math.Abs(gotReg-wantReg) > 1e-4*math.Max(1, wantReg) {
		t.Errorf("graph offset L1 %.6f, regression L1 %.6f; host %.6f, %.6f", gotOff, gotReg, wantOff, wantReg)
	}
}

// A MoveNet codec on a net without the offset and regression heads is refused with one error
// naming the missing head, before any training.
func TestMoveNetCodecNeedsTheHeads(t *testing.T) {
	c, err := codec.New(codec.MoveNet, 64, 64, 16, 16, 2)
	if err != nil {
		t.Fatal(err)
	}
	net := &nets.Net{Name: "plain", Heads: nets.Heads{Heatmaps: "h"}}
	for _, tc := range []struct {
		heads nets.Heads
		want  string
	}{
		{nets.Heads{Heatmaps: "h"}, "no offsets head"},
		{nets.Heads{Heatmaps: "h", Offsets: "o"}, "no regression head"},
		{nets.Heads{Heatmaps: "h", Offsets: "o", Regression: "r"}, ""},
	} {
		net.Heads = tc.heads
		err := checkMoveNetHeads(c, net)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("heads %+v: err = %v, want %q", tc.heads, err, tc.want)
		}
	}
}
