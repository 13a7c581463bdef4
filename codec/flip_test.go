package codec

import (
	"math"
	"testing"

	"github.com/posedistill/posedistill/skeleton"
)

// cocoPose is a plausible COCO-17 pose in a 192×256 crop.
func cocoPose() []Keypoint {
	xy := [][2]float64{
		{96.3, 30.2}, {101.1, 25.7}, {90.4, 25.9}, {108.6, 28.3}, {84.2, 28.8},
		{120.5, 60.1}, {70.9, 61.3}, {135.2, 100.4}, {58.7, 99.6}, {140.1, 135.3}, {52.4, 137.8},
		{112.6, 140.2}, {80.3, 141.1}, {115.8, 190.5}, {78.1, 191.6}, {117.3, 240.7}, {75.6, 238.2},
	}
	kps := make([]Keypoint, len(xy))
	for i, p := range xy {
		kps[i] = Keypoint{X: p[0], Y: p[1], V: 2}
	}
	return kps
}

func TestFlipHeatmapsTwiceIsIdentity(t *testing.T) {
	fi := skeleton.COCO17().FlipIndex()
	c := mustCodec(t, UDP)
	k := len(fi)
	hm := make([]float32, 2*c.NumHeatPixels()*k)
	w := make([]float32, k)
	per := c.NumHeatPixels() * k
	if err := c.Encode(cocoPose(), hm[:per], w); err != nil {
		t.Fatal(err)
	}
	for i := per; i < len(hm); i++ {
		hm[i] = float32(i%97) / 97 // arbitrary content
	}
	once, err := FlipHeatmaps(hm, 2, c.HeatH, c.HeatW, k, fi, false)
	if err != nil {
		t.Fatal(err)
	}
	twice, err := FlipHeatmaps(once, 2, c.HeatH, c.HeatW, k, fi, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range hm {
		if twice[i] != hm[i] {
			t.Fatalf("flip twice differs at %d", i)
		}
	}
	if _, err := FlipHeatmaps(hm, 2, c.HeatH, c.HeatW, k, fi[:3], false); err == nil {
		t.Error("short flip index accepted")
	}
	bad := append([]int(nil), fi...)
	bad[0] = 99
	if _, err := FlipHeatmaps(hm, 2, c.HeatH, c.HeatW, k, bad, false); err == nil {
		t.Error("out-of-range flip index accepted")
	}
}

// TestFlipMatchesMirroredTargets checks the flip rule of each convention: the heatmaps of the
// mirrored pose, flipped back by the codec, decode to the original pose (exactly for UDP, within
// the shift's quarter pixel otherwise).
func TestFlipMatchesMirroredTargets(t *testing.T) {
	fi := skeleton.COCO17().FlipIndex()
	k := len(fi)
	tests := []struct {
		kind Kind
		tol  float64 // input pixels
	}{
		{UDP, 0.002},
		{Unbiased, 0.25*4 + 0.01}, // one-pixel shift for a 0.75-pixel offset, in heatmap px ×4
	}
	for _, tc := range tests {
		c := mustCodec(t, tc.kind)
		pose := cocoPose()
		mirrored := make([]Keypoint, k)
		for j, fj := range fi {
			p := pose[fj]
			mirrored[j] = Keypoint{X: float64(c.InputW-1) - p.X, Y: p.Y, V: p.V}
		}
		hm := make([]float32, c.NumHeatPixels()*k)
		w := make([]float32, k)
		if err := c.Encode(mirrored, hm, w); err != nil {
			t.Fatal(err)
		}
		back, err := c.FlipHeatmaps(hm, 1, k, fi)
		if err != nil {
			t.Fatal(err)
		}
		preds, err := c.Decode(back, k)
		if err != nil {
			t.Fatal(err)
		}
		direct, err := c.Decode(hm, k)
		if err != nil {
			t.Fatal(err)
		}
		exact, err := c.FlipPredictions(direct, fi)
		if err != nil {
			t.Fatal(err)
		}
		for j, p := range preds {
			if e := math.Hypot(p.X-pose[j].X, p.Y-pose[j].Y); e > tc.tol {
				t.Errorf("%v joint %d: flipped back to (%.3f, %.3f), want (%.3f, %.3f)", tc.kind, j, p.X, p.Y, pose[j].X, pose[j].Y)
			}
			if e := math.Hypot(exact[j].X-pose[j].X, exact[j].Y-pose[j].Y); e > 0.002 {
				t.Errorf("%v joint %d: FlipPredictions gave (%.4f, %.4f), want (%.4f, %.4f)", tc.kind, j, exact[j].X, exact[j].Y, pose[j].X, pose[j].Y)
			}
		}
	}
}

func TestFlipShiftMovesOneColumn(t *testing.T) {
	// 1 sample, 1 row, 4 columns, 1 joint.
	hm := []float32{1, 2, 3, 4}
	got, err := FlipHeatmaps(hm, 1, 1, 4, 1, []int{0}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{4, 4, 3, 2}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}
