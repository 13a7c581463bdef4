package tflite

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// refD2S is DEPTH_TO_SPACE of x [h, w, c] (batch 1) with block b.
func refD2S(x []float32, h, w, c, b int) []float32 {
	oc := c / (b * b)
	out := make([]float32, len(x))
	for y := range h {
		for xx := range w {
			for dy := range b {
				for dx := range b {
					for ch := range oc {
						out[((y*b+dy)*w*b+xx*b+dx)*oc+ch] = x[(y*w+xx)*c+(dy*b+dx)*oc+ch]
					}
				}
			}
		}
	}
	return out
}

// refConv is a convolution of x [h, w, c] (batch 1), zero-padded by p, with kernel k in TFLite's
// layout ([O, K, K, C], or [1, K, K, C] when depthwise), stride s, bias (nil for none) and act.
func refConv(x []float32, h, w, c int, k []float32, kk, o int, depthwise bool, s int, p [2][2]int, bias []float32, act Activation) (out []float32, oh, ow int) {
	oh, ow = (h+p[0][0]+p[0][1]-kk)/s+1, (w+p[1][0]+p[1][1]-kk)/s+1
	out = make([]float32, oh*ow*o)
	for i := range oh {
		for j := range ow {
			for oc := range o {
				var sum float64
				if bias != nil {
					sum = float64(bias[oc])
				}
				for ky := range kk {
					for kx := range kk {
						y, xx := i*s+ky-p[0][0], j*s+kx-p[1][0]
						if y < 0 || xx < 0 || y >= h || xx >= w {
							continue
						}
						if depthwise {
							sum += float64(k[(ky*kk+kx)*c+oc]) * float64(x[(y*w+xx)*c+oc])
							continue
						}
						for ic := range c {
							sum += float64(k[((oc*kk+ky)*kk+kx)*c+ic]) * float64(x[(y*w+xx)*c+ic])
						}
					}
				}
				switch act {
				case ActRelu6:
					sum = math.Min(6, math.Max(0, sum))
				case ActRelu:
					sum = math.Max(0, sum)
				}
				out[(i*ow+j)*o+oc] = float32(sum)
			}
		}
	}
	return out, oh, ow
}

// importMini imports a test model (miniModel) whose output is its heatmap head and runs it on
// its input values.
func importMini(t *testing.T, ts []tspec, ops []mop) (*NetPart, [][]float32, error) {
	t.Helper()
	m, err := Parse(miniModel(ts, ops))
	if err != nil {
		t.Fatal(err)
	}
	net, err := NewNetwork(m)
	if err != nil {
		t.Fatal(err)
	}
	part, err := net.ImportNet("mini", 0, -1)
	if err != nil {
		return nil, nil, err
	}
	r := partRunner(t, part)
	outs, err := r.Run(context.Background(), ts[m.SubGraphs[0].Inputs[0]].values)
	if err != nil {
		t.Fatal(err)
	}
	return part, outs, nil
}

func convOpts(pad Padding, s int, a Activation) fbTable {
	return fbTable{0: fbU8(pad), 1: fbI32(s), 2: fbI32(s), 3: fbU8(a), 4: fbI32(1), 5: fbI32(1)}
}

func dwOpts(pad Padding, s int, a Activation) fbTable {
	return fbTable{0: fbU8(pad), 1: fbI32(s), 2: fbI32(s), 3: fbI32(1), 4: fbU8(a), 5: fbI32(1), 6: fbI32(1)}
}

func padsConst(p [2][2]int) tspec {
	c := constI32(0, 0, int32(p[0][0]), int32(p[0][1]), int32(p[1][0]), int32(p[1][1]), 0, 0)
	c.shape = []int{4, 2}
	return c
}

// TestImportNetDepthToSpace checks the translation of a DEPTH_TO_SPACE read through a spatial PAD
// by a depthwise convolution of the block's stride (the pose detector's pattern) against a
// direct computation: with a linear 1×1 convolution reading it (folded into that convolution),
// and with an activation and no such reader (a block-summing layer), for symmetric and one-sided
// padding; and that other readers of a DEPTH_TO_SPACE are refused.
func TestImportNetDepthToSpace(t *testing.T) {
	const h, w, c, b = 3, 3, 8, 2 // d2s: 6×6×2
	oc := c / (b * b)
	tests := []struct {
		name    string
		pad     [2][2]int
		dwAct   Activation
		reader  bool // a 1×1 convolution reads the depthwise convolution
		wantSum bool // a block-summing layer is expected
	}{
		{"symmetric pad, 1×1 reader", [2][2]int{{1, 1}, {1, 1}}, ActNone, true, false},
		{"pad after only, 1×1 reader", [2][2]int{{0, 2}, {0, 2}}, ActNone, true, false},
		{"symmetric pad, relu6, no reader", [2][2]int{{1, 1}, {1, 1}}, ActRelu6, false, true},
		{"pad before 2, no reader", [2][2]int{{2, 0}, {2, 0}}, ActNone, false, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			x, k, kb := input(rng, 1, h, w, c), constF32(rng, 1, 3, 3, oc), constF32(rng, oc)
			ph, pw := b*h+tc.pad[0][0]+tc.pad[0][1], b*w+tc.pad[1][0]+tc.pad[1][1]
			ts := []tspec{x, output(1, b*h, b*w, oc), padsConst(tc.pad), output(1, ph, pw, oc), k, kb, output(1, h, w, oc)}
			ops := []mop{
				{code: OpDepthToSpace, in: []int{0}, out: []int{1}, optType: optDepthToSpace, opts: fbTable{0: fbI32(b)}},
				{code: OpPad, in: []int{1, 2}, out: []int{3}},
				{code: OpDepthwiseConv, in: []int{3, 4, 5}, out: []int{6}, optType: optDepthwiseConv, opts: dwOpts(PaddingValid, b, tc.dwAct)},
			}
			d := refD2S(x.values, h, w, c, b)
			want, _, _ := refConv(d, b*h, b*w, oc, k.values, 3, oc, true, b, tc.pad, kb.values, tc.dwAct)
			if tc.reader {
				k1, b1 := constF32(rng, 3, 1, 1, oc), constF32(rng, 3)
				ts = append(ts, k1, b1, output(1, h, w, 3))
				ops = append(ops, mop{code: OpConv2D, in: []int{6, 7, 8}, out: []int{9}, optType: optConv2D, opts: convOpts(PaddingSame, 1, ActNone)})
				want, _, _ = refConv(want, h, w, oc, k1.values, 1, 3, false, 1, [2][2]int{}, b1.values, ActNone)
			}
			part, got, err := importMini(t, ts, ops)
			if err != nil {
				t.Fatal(err)
			}
			sums := 0
			for _, l := range part.Net.Layers {
				if strings.HasSuffix(l.Name, "_sum") {
					sums++
				}
			}
			if (sums > 0) != tc.wantSum {
				t.Errorf("layers %+v: block-summing layers %d, want some: %v", part.Net.Layers, sums, tc.wantSum)
			}
			closeTo(t, got[0], want, 1e-5)
		})
	}
	refused := []struct {
		name string
		op   mop
		k    tspec
	}{
		{"regular convolution", mop{code: OpConv2D, in: []int{3, 4}, out: []int{5}, optType: optConv2D, opts: convOpts(PaddingValid, 2, ActNone)},
			constF32(rand.New(rand.NewPCG(1, 1)), 2, 3, 3, oc)},
		{"depthwise of stride 1", mop{code: OpDepthwiseConv, in: []int{3, 4}, out: []int{5}, optType: optDepthwiseConv, opts: dwOpts(PaddingValid, 1, ActNone)},
			constF32(rand.New(rand.NewPCG(1, 1)), 1, 3, 3, oc)},
	}
	for _, tc := range refused {
		t.Run("refused "+tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 3))
			// A VALID 3×3 convolution of the padded b·h × b·w map: stride 2 gives h × w, stride 1 b·h × b·w.
			out := output(1, h, w, tc.k.shape[0])
			if tc.op.code == OpDepthwiseConv {
				out = output(1, b*h, b*w, oc)
			}
			ts := []tspec{input(rng, 1, h, w, c), output(1, b*h, b*w, oc), padsConst([2][2]int{{1, 1}, {1, 1}}), output(1, b*h+2, b*w+2, oc), tc.k, out}
			ops := []mop{
				{code: OpDepthToSpace, in: []int{0}, out: []int{1}, optType: optDepthToSpace, opts: fbTable{0: fbI32(b)}},
				{code: OpPad, in: []int{1, 2}, out: []int{3}},
				tc.op,
			}
			_, _, err := importMini(t, ts, ops)
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "DEPTH_TO_SPACE") {
				t.Fatalf("error %v, want ErrUnsupported naming DEPTH_TO_SPACE", err)
			}
			t.Log(err)
		})
	}
}

// TestImportNetConcatenatedOutput checks that a model output concatenating RESHAPEd layers holds
// their flat values one after the other, and that a concatenation the description cannot hold is
// refused.
func TestImportNetConcatenatedOutput(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	x, k1, k2 := input(rng, 1, 4, 4, 3), constF32(rng, 2, 1, 1, 3), constF32(rng, 2, 3, 3, 3)
	shape := constI32(1, -1, 2)
	shape.shape = []int{3}
	model := func(act Activation) ([]tspec, []mop) {
		ts := []tspec{x, k1, output(1, 4, 4, 2), k2, output(1, 2, 2, 2), shape, output(1, 16, 2), output(1, 4, 2), output(1, 20, 2)}
		return ts, []mop{
			{code: OpConv2D, in: []int{0, 1, -1}, out: []int{2}, optType: optConv2D, opts: convOpts(PaddingSame, 1, ActNone)},
			{code: OpConv2D, in: []int{0, 3, -1}, out: []int{4}, optType: optConv2D, opts: convOpts(PaddingSame, 2, ActRelu)},
			{code: OpReshape, in: []int{2, 5}, out: []int{6}},
			{code: OpReshape, in: []int{4, 5}, out: []int{7}},
			{code: OpConcatenation, in: []int{6, 7}, out: []int{8}, optType: optConcatenation, opts: fbTable{0: fbI32(1), 1: fbU8(act)}},
		}
	}
	ts, ops := model(ActNone)
	part, got, err := importMini(t, ts, ops)
	if err != nil {
		t.Fatal(err)
	}
	if len(part.Outputs) != 1 || len(part.Outputs[0]) != 2 || len(part.Net.Heads.Extra) != 1 {
		t.Fatalf("outputs %v, extra heads %v: want one output of two layers, the second an extra head", part.Outputs, part.Net.Heads.Extra)
	}
	a, _, _ := refConv(x.values, 4, 4, 3, k1.values, 1, 2, false, 1, [2][2]int{}, nil, ActNone)
	bv, _, _ := refConv(x.values, 4, 4, 3, k2.values, 3, 2, false, 2, [2][2]int{{0, 1}, {0, 1}}, nil, ActRelu)
	closeTo(t, got[0], append(a, bv...), 1e-5)
	ts, ops = model(ActRelu)
	if _, _, err := importMini(t, ts, ops); !errors.Is(err, ErrUnsupported) {
		t.Errorf("concatenation with an activation: error %v, want ErrUnsupported", err)
	}
}
