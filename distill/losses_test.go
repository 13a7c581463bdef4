package distill

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// run1 evaluates a scalar graph function of float32 tensors given as (data, dims...) pairs.
func run1(t *testing.T, fn func(in []*graph.Node) *graph.Node, ins ...*tensors.Tensor) float64 {
	t.Helper()
	be := testBackend(t)
	args := make([]any, len(ins))
	for i, x := range ins {
		args[i] = x
	}
	var out *tensors.Tensor
	var err error
	switch len(ins) {
	case 3:
		out, err = graph.ExecOnce(be, func(a, b, c *graph.Node) *graph.Node { return fn([]*graph.Node{a, b, c}) }, args...)
	case 4:
		out, err = graph.ExecOnce(be, func(a, b, c, d *graph.Node) *graph.Node { return fn([]*graph.Node{a, b, c, d}) }, args...)
	default:
		t.Fatalf("run1: %d inputs", len(ins))
	}
	if err != nil {
		t.Fatal(err)
	}
	v, err := tensors.CopyFlatData[float32](out)
	if err != nil {
		t.Fatal(err)
	}
	return float64(v[0])
}

func tensor(data []float32, dims ...int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// TestLocationMSEHandComputed checks the masked location-map loss on a 1×1×2 map of 2 joints
// against the formula computed by hand: only pixels where the GT heatmap is non-zero count, and
// joints with weight 0 do not count.
func TestLocationMSEHandComputed(t *testing.T) {
	// N=1, h=1, w=2, J=2: locations [1,1,2,6] as X0 X1 Y0 Y1 Z0 Z1 per pixel.
	loc := []float32{
		1, 2, 3, 4, 5, 6, // pixel 0
		0, 0, 0, 0, 0, 0, // pixel 1
	}
	target := []float32{
		0, 0, 0, 0, 0, 0,
		1, 1, 1, 1, 1, 1,
	}
	heat := []float32{
		0.5, 1, // pixel 0: joint 0 mask 0.5, joint 1 mask 1
		0, 2, // pixel 1: joint 0 masked out, joint 1 mask 2
	}
	cases := []struct {
		name    string
		weights []float32
		want    float64
	}{
		// joint 0 at pixel 0: (0.5·1)²+(0.5·3)²+(0.5·5)² = 0.25+2.25+6.25 = 8.75
		// joint 1 at pixel 0: 2²+4²+6² = 56; at pixel 1: 3·(2·(0−1))² = 12
		// mean over 1·1·2·3·2 = 12 elements
		{"both joints", []float32{1, 1}, (8.75 + 56 + 12) / 12},
		{"joint 1 unlabelled", []float32{1, 0}, 8.75 / 12},
		{"joint 0 half weight", []float32{0.5, 0}, 0.5 * 8.75 / 12},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := run1(t, func(in []*graph.Node) *graph.Node { return locationMSE(in[0], in[1], in[2], in[3]) },
				tensor(loc, 1, 1, 2, 6), tensor(target, 1, 1, 2, 6), tensor(heat, 1, 1, 2, 2), tensor(c.weights, 1, 2))
			if math.Abs(got-c.want) > 1e-5 {
				t.Errorf("loss %v, want %v", got, c.want)
			}
		})
	}
}

// TestLocationJointL1HandComputed checks the joint-level location term on the same 1×1×2 maps as
// TestLocationMSEHandComputed: each joint is read as the maps' mean under its normalised heatmap.
// Joint 0 (heat 0.5 at pixel 0 only): read (1, 3, 5) against (0, 0, 0), L1 9. Joint 1 (heat 1 and
// 2): read (2/3, 4/3, 2) against (2/3, 2/3, 2/3), L1 2.
func TestLocationJointL1HandComputed(t *testing.T) {
	loc := []float32{1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0}
	target := []float32{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1}
	heat := []float32{0.5, 1, 0, 2}
	cases := []struct {
		name    string
		weights []float32
		want    float64
	}{
		{"both joints", []float32{1, 1}, (9 + 2) / 2.0},
		{"joint 1 unlabelled", []float32{1, 0}, 9},
		{"joint 0 half weight", []float32{0.5, 0}, 4.5}, // divided by max(Σw, 1)
		{"nothing labelled", []float32{0, 0}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := run1(t, func(in []*graph.Node) *graph.Node { return locationJointL1(in[0], in[1], in[2], in[3]) },
				tensor(loc, 1, 1, 2, 6), tensor(target, 1, 1, 2, 6), tensor(heat, 1, 1, 2, 2), tensor(c.weights, 1, 2))
			if math.Abs(got-c.want) > 1e-4 {
				t.Errorf("loss %v, want %v", got, c.want)
			}
		})
	}
}

// TestMaskRestrictionHandComputed: heatmap mass inside the mask costs nothing, outside it costs
// its square.
func TestMaskRestrictionHandComputed(t *testing.T) {
	heat := []float32{2, 1, 3, 0.5} // [1,2,1,2]: pixel 0 (2, 1), pixel 1 (3, 0.5)
	cases := []struct {
		name    string
		mask    []float32
		weights []float32
		want    float64
	}{
		{"all inside", []float32{1, 1}, []float32{1, 1}, 0},
		{"pixel 1 outside", []float32{1, 0}, []float32{1, 1}, (9 + 0.25) / 4},
		{"half mask", []float32{0.5, 0.5}, []float32{1, 1}, 0.5 * (4 + 1 + 9 + 0.25) / 4},
		{"joint 0 weightless", []float32{0, 0}, []float32{0, 1}, (1 + 0.25) / 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := run1(t, func(in []*graph.Node) *graph.Node { return maskRestriction(in[0], in[1], in[2]) },
				tensor(heat, 1, 2, 1, 2), tensor(c.mask, 1, 2, 1, 1), tensor(c.weights, 1, 2))
			if math.Abs(got-c.want) > 1e-5 {
				t.Errorf("loss %v, want %v", got, c.want)
			}
		})
	}
}

// TestMaskMassRestrictionHandComputed: an integral student pays the share of each joint's
// softmax outside the mask, whatever constant its logits are shifted by.
func TestMaskMassRestrictionHandComputed(t *testing.T) {
	e := math.Exp
	off0, off1 := e(3)/(e(2)+e(3)), e(0.5)/(e(1)+e(0.5)) // pixel 1's share of joints 0 and 1
	cases := []struct {
		name    string
		shift   float32
		mask    []float32
		weights []float32
		want    float64
	}{
		{"all inside", 0, []float32{1, 1}, []float32{1, 1}, 0},
		{"pixel 1 outside", 0, []float32{1, 0}, []float32{1, 1}, (off0 + off1) / 2},
		{"shifted logits", 40, []float32{1, 0}, []float32{1, 1}, (off0 + off1) / 2},
		{"joint 0 weightless", 0, []float32{1, 0}, []float32{0, 1}, off1 / 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			heat := []float32{2 + c.shift, 1 + c.shift, 3 + c.shift, 0.5 + c.shift} // [1,2,1,2]
			got := run1(t, func(in []*graph.Node) *graph.Node { return maskMassRestriction(in[0], in[1], in[2]) },
				tensor(heat, 1, 2, 1, 2), tensor(c.mask, 1, 2, 1, 1), tensor(c.weights, 1, 2))
			if math.Abs(got-c.want) > 1e-5 {
				t.Errorf("loss %v, want %v", got, c.want)
			}
		})
	}
}

// TestMaskBCEMatchesFormula compares the mask term with −t·log σ(x) − (1−t)·log(1−σ(x)).
func TestMaskBCEMatchesFormula(t *testing.T) {
	logits := []float32{-3, -0.5, 0, 2, 8}
	target := []float32{0, 1, 0.5, 1, 0.2}
	want := 0.0
	for i, x := range logits {
		s := 1 / (1 + math.Exp(-float64(x)))
		tt := float64(target[i])
		want += -tt*math.Log(s) - (1-tt)*math.Log(1-s)
	}
	want /= float64(len(logits))
	zero := tensor([]float32{0}, 1)
	got := run1(t, func(in []*graph.Node) *graph.Node { return maskBCE(in[0], in[1]) },
		tensor(logits, 1, 5, 1, 1), tensor(target, 1, 5, 1, 1), zero)
	if math.Abs(got-want) > 1e-4 {
		t.Errorf("BCE %v, want %v", got, want)
	}
}

// TestBoneLengthHandComputed: a bone of the GT length costs nothing; one 1 longer costs 1.
func TestBoneLengthHandComputed(t *testing.T) {
	// N=1, h=1, w=1, J=2; GT joints at x=0 and x=3 (length 3).
	gt := []float32{0, 3, 0, 0, 0, 0}
	heat := []float32{1, 1}
	cases := []struct {
		name string
		pred []float32
		w    []float32
		want float64
	}{
		{"same length, shifted", []float32{1, 4, 0, 0, 0, 0}, []float32{1, 1}, 0},
		{"same length, turned", []float32{0, 0, 0, 3, 0, 0}, []float32{1, 1}, 0},
		{"one longer", []float32{0, 4, 0, 0, 0, 0}, []float32{1, 1}, 1},
		{"two shorter", []float32{0, 0, 0, 0, 0, 1}, []float32{1, 1}, 4},
		{"unlabelled joint", []float32{0, 9, 0, 0, 0, 0}, []float32{1, 0}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := run1(t, func(in []*graph.Node) *graph.Node { return boneLength(in[0], in[1], in[2], in[3], [][2]int{{0, 1}}) },
				tensor(c.pred, 1, 1, 1, 6), tensor(gt, 1, 1, 1, 6), tensor(heat, 1, 1, 1, 2), tensor(c.w, 1, 2))
			if math.Abs(got-c.want) > 1e-3 {
				t.Errorf("loss %v, want %v", got, c.want)
			}
		})
	}
}
