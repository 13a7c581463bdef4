package tfjs

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/nets"
)

// heRatios returns, over the part's convolutions, the smallest and the largest root mean square
// of a layer's weights as a multiple of He's initialization (√(2/fan-in)), and the layer with the
// smallest.
func heRatios(part *NetPart) (lo, hi float64, where string) {
	chans := map[string]int{nets.Input: part.Net.InputChannels}
	lo, hi = math.Inf(1), 0
	for _, l := range part.Net.Layers {
		in := chans[l.Inputs[0]]
		chans[l.Name] = in
		if l.Op != nets.OpConv {
			continue
		}
		chans[l.Name] = l.Out
		w := part.Weights["/"+l.Name+"/weights"].Values
		var ss float64
		for _, v := range w {
			ss += v * v
		}
		fanIn := len(w) / l.Out
		r := math.Sqrt(ss/float64(len(w))) / math.Sqrt(2/float64(fanIn))
		if r < lo {
			lo, where = r, l.Name
		}
		hi = max(hi, r)
	}
	return lo, hi, where
}

// TestBalance balances the convolutional part of each MoveNet model (NetPart.Balance): its
// outputs stay the same bits on a real photo, and no layer's weights stay more than 16 times
// smaller than a fresh layer's (He's initialization), where TensorFlow's folded batch norms left
// the feature pyramid's pointwise convolutions 130–600 times smaller (the cause of the one-step
// collapse of fine-tuning; the smallest left are heads', which keep their outputs).
func TestBalance(t *testing.T) {
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range agreementCases[:3] {
		_, g := loadGraph(t, tc.model)
		from := moveNetHeads.from
		heads := g.Heads(from)
		heatmap := heatmapHead(heads)
		run := func(part *NetPart) [][]float32 {
			exec := headsExec(t, be, partStore(t, part), part, heads)
			img := photoInput(t, tc.h, tc.w)
			x := make([]float32, len(img))
			for i, v := range img {
				x[i] = float32(v)/127.5 - 1 // MoveNet's normalization
			}
			got, err := exec.Call(tensors.FromFlatDataAndDimensions(x, 1, tc.h, tc.w, 3))
			if err != nil {
				t.Fatal(err)
			}
			var out [][]float32
			for _, v := range got {
				out = append(out, tensors.MustCopyFlatData[float32](v))
			}
			return out
		}
		plain, err := g.ImportNet(tc.model, from, heads, heatmap, "", 17, tc.h, tc.w)
		if err != nil {
			t.Fatal(err)
		}
		balanced, err := g.ImportNet(tc.model, from, heads, heatmap, "", 17, tc.h, tc.w)
		if err != nil {
			t.Fatal(err)
		}
		n, err := balanced.Balance()
		if err != nil {
			t.Fatal(err)
		}
		lo0, hi0, at0 := heRatios(plain)
		lo1, hi1, at1 := heRatios(balanced)
		t.Logf("%s: %d channels rescaled; weights' RMS per layer over He's from %.2g (%s) – %.3g to %.2g (%s) – %.3g",
			tc.model, n, lo0, layerName(at0), hi0, lo1, layerName(at1), hi1)
		if lo0 > 1.0/64 {
			t.Errorf("%s as imported: no weights below 1/64 of He's (%.2g): the test no longer sees the problem it guards", tc.model, lo0)
		}
		if lo1 < 1.0/16 {
			t.Errorf("%s balanced: layer %s's weights are %.2g of He's, want ≥ 1/16", tc.model, at1, lo1)
		}
		want, got := run(plain), run(balanced)
		for i := range heads {
			if d := maxAbsDiff(got[i], want[i]); d != 0 {
				t.Errorf("%s %s: balancing changed the output by %.2g, want the same bits", tc.model, layerName(heads[i]), d)
			}
		}
	}
}
