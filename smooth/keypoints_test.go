package smooth

import (
	"math"
	"testing"
)

// TestKeypointFilterMatchesScalar checks that each (track, joint, coordinate) is an independent
// 1€ filter: interleaving two 3D tracks gives exactly what separate scalar filters give.
func TestKeypointFilterMatchesScalar(t *testing.T) {
	p := Params{MinCutoff: 1.5, Beta: 0.02, DCutoff: 1}
	kf, err := NewKeypointFilter(KeypointConfig{Params: p, Rate: 25}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	scalar := map[[3]int]*OneEuro{}
	signal := func(track, j, c, i int) float64 {
		return float64(100*track+10*j+c) + math.Sin(float64(i)*0.3+float64(c)) + 0.1*math.Cos(float64(i*i))
	}
	for i := 0; i < 60; i++ {
		ts := 0.04*float64(i) + 0.003*float64(i%3) // jittered frame times
		for _, track := range []int{7, 3} {
			pts := make([]float64, 6)
			for j := 0; j < 2; j++ {
				for c := 0; c < 3; c++ {
					pts[j*3+c] = signal(track, j, c, i)
				}
			}
			out, sc, err := kf.Update(int64(track), ts, pts, nil)
			if err != nil {
				t.Fatal(err)
			}
			for j := 0; j < 2; j++ {
				if sc[j] != 1 {
					t.Fatalf("score of a confident joint = %v, want 1", sc[j])
				}
				for c := 0; c < 3; c++ {
					k := [3]int{track, j, c}
					if scalar[k] == nil {
						scalar[k], _ = NewOneEuro(p, 25)
					}
					want := scalar[k].Filter(signal(track, j, c, i), ts)
					if out[j*3+c] != want {
						t.Fatalf("frame %d track %d joint %d coord %d: %v, want %v", i, track, j, c, out[j*3+c], want)
					}
				}
			}
		}
	}
	if kf.Tracks() != 2 {
		t.Errorf("Tracks() = %d, want 2", kf.Tracks())
	}
}

// TestKeypointFilterMissing walks one joint through confident, missing and lost states.
func TestKeypointFilterMissing(t *testing.T) {
	type step struct {
		t         float64
		x, score  float64
		wantX     float64 // NaN: the filtered value, not checked exactly
		wantScore float64
	}
	nan := math.NaN()
	tests := []struct {
		name   string
		policy MissingPolicy
		steps  []step
	}{
		{"hold", Hold, []step{
			{0.0, 10, 0.9, 10, 0.9},          // first sample passes
			{0.1, 20, 0.8, nan, 0.8},         // filtered
			{0.2, 999, 0.05, -1, 0.8},        // low score: held (-1 = previous output)
			{0.3, math.Inf(1), 0.9, -1, 0.8}, // non-finite: held
			{1.5, 50, 0.7, 50, 0.7},          // 1.2 s after last seen > timeout: restart
			{1.6, 60, 0, -1, 0.7},            // zero score: held
		}},
		{"decay", Decay, []step{
			{0.0, 10, 0.9, 10, 0.9},
			{0.5, 30, 0.2, -1, 0.9 * math.Exp(-1)}, // 0.5 s after last seen, DecayTime 0.5
			{1.0, 30, 0.2, -1, 0.9 * math.Exp(-2)},
		}},
		{"missing before first sight", Hold, []step{
			{0.0, 10, 0.1, 10, 0.1}, // passed through unchanged
			{0.1, 12, 0.9, 12, 0.9}, // first confident sample passes unchanged
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kf, err := NewKeypointFilter(KeypointConfig{
				Params: Params{MinCutoff: 1, Beta: 0, DCutoff: 1}, MinScore: 0.3, Missing: tc.policy, DecayTime: 0.5, Timeout: 1,
			}, 1, 1)
			if err != nil {
				t.Fatal(err)
			}
			prev := nan
			for i, s := range tc.steps {
				out, sc, err := kf.Update(1, s.t, []float64{s.x}, []float64{s.score})
				if err != nil {
					t.Fatal(err)
				}
				wantX := s.wantX
				if wantX == -1 {
					wantX = prev
				}
				if !math.IsNaN(wantX) && out[0] != wantX {
					t.Errorf("step %d: x = %v, want %v", i, out[0], wantX)
				}
				if math.Abs(sc[0]-s.wantScore) > 1e-12 {
					t.Errorf("step %d: score = %v, want %v", i, sc[0], s.wantScore)
				}
				prev = out[0]
			}
		})
	}
}

func TestKeypointFilterErrorsAndPrune(t *testing.T) {
	if _, err := NewKeypointFilter(KeypointConfig{Params: Params{}}, 1, 2); err == nil {
		t.Error("zero params accepted")
	}
	if _, err := NewKeypointFilter(KeypointConfig{Params: DefaultParams(), Missing: 9}, 1, 2); err == nil {
		t.Error("unknown policy accepted")
	}
	if _, err := NewKeypointFilter(KeypointConfig{Params: DefaultParams()}, 0, 2); err == nil {
		t.Error("zero joints accepted")
	}
	kf, err := NewKeypointFilter(KeypointConfig{Params: DefaultParams(), Timeout: 0.5}, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name   string
		t      float64
		pts    []float64
		scores []float64
	}{
		{"short points", 0, []float64{1, 2, 3}, nil},
		{"short scores", 0, []float64{1, 2, 3, 4}, []float64{1}},
		{"NaN time", math.NaN(), []float64{1, 2, 3, 4}, nil},
	}
	for _, b := range bad {
		if _, _, err := kf.Update(1, b.t, b.pts, b.scores); err == nil {
			t.Errorf("%s: accepted", b.name)
		}
	}
	if _, _, err := kf.Update(1, 1, []float64{1, 2, 3, 4}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := kf.Update(1, 0.5, []float64{1, 2, 3, 4}, nil); err == nil {
		t.Error("time going back accepted")
	}
	if _, _, err := kf.Update(2, 1.2, []float64{1, 2, 3, 4}, nil); err != nil {
		t.Fatal(err)
	}
	if n := kf.Prune(1.4); n != 0 {
		t.Errorf("Prune(1.4) removed %d tracks, want 0", n)
	}
	if n := kf.Prune(1.6); n != 1 || kf.Tracks() != 1 {
		t.Errorf("Prune(1.6) removed %d, left %d; want 1 and 1", n, kf.Tracks())
	}
}
