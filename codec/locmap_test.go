package codec

import "testing"

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
		got, err := c.ReadLocations(lm, preds)
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
			// float32 storage: these values are exact in float32.
			if got[j] != j3[j] {
				t.Errorf("%v joint %d: read %v, want %v", kind, j, got[j], j3[j])
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
	if _, err := c.ReadLocations(make([]float32, c.NumHeatPixels()*3), []Prediction{{HX: -1}}); err == nil {
		t.Error("read outside the map accepted")
	}
}
