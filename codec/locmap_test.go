package codec

import (
	"math"
	"testing"
)

func TestLocationMapsReadBack(t *testing.T) {
	for _, kind := range []Kind{MSRA, Unbiased, UDP} {
		c := mustCodec(t, kind)
		kps := []Keypoint{{X: 40.2, Y: 50.9, V: 2}, {X: 41.5, Y: 52.1, V: 2}, {X: 180.7, Y: 240.3, V: 1}, {X: 10, Y: 10, V: 0}}
		j3 := [][3]float64{{0, 0, 0}, {-123.25, 456.5, -78.125}, {901.75, -33.5, 12}, {5, 5, 5}}
		k := len(kps)
		hm := make([]float32, c.NumHeatPixels()*k)
		w := make([]float32, k)
		lm := make([]float32, c.NumHeatPixels()*3*k)
		lw := make([]float32, k)
		if err := c.Encode(kps, hm, w); err != nil {
			t.Fatal(err)
		}
		if err := c.EncodeLocations(kps, j3, lm, lw); err != nil {
			t.Fatal(err)
		}
		preds, err := c.Decode(hm, k)
		if err != nil {
			t.Fatal(err)
		}
		for _, radius := range []int{0, 1, 2} {
			got, err := c.ReadLocations(lm, hm, preds, radius)
			if err != nil {
				t.Fatal(err)
			}
			for j := range kps {
				if lw[j] != w[j] {
					t.Errorf("%v joint %d: location weight %v, heatmap weight %v", kind, j, lw[j], w[j])
				}
				if w[j] == 0 {
					continue
				}
				// The values are exact in float32 and constant over the window.
				for a := range 3 {
					if math.Abs(got[j][a]-j3[j][a]) > 1e-9*(1+math.Abs(j3[j][a])) {
						t.Errorf("%v radius %d joint %d: read %v, want %v", kind, radius, j, got[j], j3[j])
						break
					}
				}
			}
		}
		// Flipping the maps twice gives them back.
		fi := []int{0, 2, 1, 3}
		once, err := FlipLocationMaps(lm, 1, c.HeatH, c.HeatW, k, fi)
		if err != nil {
			t.Fatal(err)
		}
		twice, err := FlipLocationMaps(once, 1, c.HeatH, c.HeatW, k, fi)
		if err != nil {
			t.Fatal(err)
		}
		for i := range lm {
			if twice[i] != lm[i] {
				t.Fatalf("%v: flip twice differs at %d: %v vs %v", kind, i, twice[i], lm[i])
			}
		}
	}
}

func TestLocationErrors(t *testing.T) {
	c := mustCodec(t, UDP)
	kps := []Keypoint{{X: 1, Y: 1, V: 2}}
	if err := c.EncodeLocations(kps, nil, nil, nil); err == nil {
		t.Error("missing 3D joints accepted")
	}
	if err := c.EncodeLocations(kps, make([][3]float64, 1), make([]float32, 3), make([]float32, 1)); err == nil {
		t.Error("short maps accepted")
	}
	if _, err := c.ReadLocations(make([]float32, c.NumHeatPixels()*3), make([]float32, c.NumHeatPixels()), []Prediction{{HX: -1}}, 1); err == nil {
		t.Error("read outside the map accepted")
	}
	if _, err := c.ReadLocations(make([]float32, c.NumHeatPixels()*3), make([]float32, 2), []Prediction{{}}, 1); err == nil {
		t.Error("short heatmaps accepted")
	}
	if _, err := c.ReadLocations(make([]float32, c.NumHeatPixels()*3), make([]float32, c.NumHeatPixels()), []Prediction{{}}, -1); err == nil {
		t.Error("negative radius accepted")
	}
}

// TestLocationReadIsHeatmapWeighted: the read averages the window's maps with the heatmap's
// positive values as weights, and falls back to the maximum's pixel where none is positive.
func TestLocationReadIsHeatmapWeighted(t *testing.T) {
	c := mustCodec(t, UDP)
	at := func(x, y int) int { return y*c.HeatW + x }
	lm := make([]float32, c.NumHeatPixels()*3)
	hm := make([]float32, c.NumHeatPixels())
	p := Prediction{HX: 5, HY: 6}
	lm[at(5, 6)*3], lm[at(6, 6)*3], lm[at(9, 6)*3] = 10, 4, 100 // X maps; (9, 6) is outside radius 1
	for _, tc := range []struct {
		name   string
		weight map[int]float32
		radius int
		want   float64
	}{
		{"no positive heatmap: the maximum's pixel", nil, 1, 10},
		{"centre only", map[int]float32{at(5, 6): 1}, 1, 10},
		{"centre and neighbour", map[int]float32{at(5, 6): 1, at(6, 6): 1}, 1, 7},
		{"negative weights ignored", map[int]float32{at(5, 6): 1, at(6, 6): -5}, 1, 10},
		{"outside the window ignored", map[int]float32{at(5, 6): 1, at(9, 6): 1}, 1, 10},
		{"radius 0 reads one pixel", map[int]float32{at(5, 6): 1, at(6, 6): 3}, 0, 10},
		{"weighted", map[int]float32{at(5, 6): 1, at(6, 6): 3}, 1, 5.5},
	} {
		clear(hm)
		for i, w := range tc.weight {
			hm[i] = w
		}
		got, err := c.ReadLocations(lm, hm, []Prediction{p}, tc.radius)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got[0][0]-tc.want) > 1e-9 {
			t.Errorf("%s: X %v, want %v", tc.name, got[0][0], tc.want)
		}
	}
}

// TestFlipLocationMapsMatchMirroredTargets: mirroring the location-map targets of a pose gives
// the targets of the mirrored pose (2D x → InputW-1-x, left and right swapped, 3D X negated).
func TestFlipLocationMapsMatchMirroredTargets(t *testing.T) {
	c := mustCodec(t, UDP) // UDP: the mirror of input x is exactly the mirror of heatmap x
	kps := []Keypoint{{X: 40.2, Y: 50.9, V: 2}, {X: 101.5, Y: 152.1, V: 2}, {X: 20.7, Y: 200.3, V: 1}}
	j3 := [][3]float64{{0.1, -0.2, 0.3}, {-0.5, 0.25, 0.75}, {0.9, 0.4, -0.6}}
	flipIndex := []int{0, 2, 1}
	encode := func(kps []Keypoint, j3 [][3]float64) []float32 {
		lm := make([]float32, c.NumHeatPixels()*3*len(kps))
		if err := c.EncodeLocations(kps, j3, lm, make([]float32, len(kps))); err != nil {
			t.Fatal(err)
		}
		return lm
	}
	mk := make([]Keypoint, len(kps))
	mj := make([][3]float64, len(kps))
	for j, fj := range flipIndex {
		mk[j] = Keypoint{X: float64(c.InputW-1) - kps[fj].X, Y: kps[fj].Y, V: kps[fj].V}
		mj[j] = [3]float64{-j3[fj][0], j3[fj][1], j3[fj][2]}
	}
	got, err := FlipLocationMaps(encode(kps, j3), 1, c.HeatH, c.HeatW, len(kps), flipIndex)
	if err != nil {
		t.Fatal(err)
	}
	want := encode(mk, mj)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("value %d: flipped maps %v, targets of the mirrored pose %v", i, got[i], want[i])
		}
	}
}
