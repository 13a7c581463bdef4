package smooth

import (
	"context"
	"math"
	"testing"
)

// frames builds a single-coordinate sequence from f(i).
func frames(n int, f func(i int) float64) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = []float64{f(i)}
	}
	return out
}

func TestAccelError(t *testing.T) {
	zero := frames(6, func(int) float64 { return 0 })
	tests := []struct {
		name  string
		est   [][]float64
		truth [][]float64
		dim   int
		want  float64
	}{
		{"identical", frames(5, func(i int) float64 { return float64(i * i) }), frames(5, func(i int) float64 { return float64(i * i) }), 1, 0},
		{"linear drift is not jitter", frames(6, func(i int) float64 { return 3 + 2*float64(i) }), zero, 1, 0},
		// Alternating ±1: second difference ±4 at every interior frame.
		{"alternating", frames(6, func(i int) float64 { return float64(1 - 2*(i%2)) }), zero, 1, 4},
		// One spike of 1 at frame 2 of 5: second differences 1, -2, 1 at frames 1..3 → mean 4/3.
		{"spike", frames(5, func(i int) float64 { return map[bool]float64{true: 1}[i == 2] }), frames(5, func(int) float64 { return 0 }), 1, 4.0 / 3},
		// 2D joint: alternating (3, 4) offsets give |(12, 16)| = 20 per interior frame.
		{"2D norm", [][]float64{{3, 4}, {-3, -4}, {3, 4}}, [][]float64{{0, 0}, {0, 0}, {0, 0}}, 2, 20},
	}
	for _, tc := range tests {
		got, err := AccelError(tc.est, tc.truth, tc.dim)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	bad := [][2][][]float64{
		{frames(2, func(int) float64 { return 0 }), frames(2, func(int) float64 { return 0 })},
		{frames(4, func(int) float64 { return 0 }), frames(5, func(int) float64 { return 0 })},
		{{{1, 2}, {1}, {1, 2}}, {{1, 2}, {1, 2}, {1, 2}}},
	}
	for i, b := range bad {
		if _, err := AccelError(b[0], b[1], 1); err == nil {
			t.Errorf("bad input %d accepted", i)
		}
	}
}

func TestHighFreqRMS(t *testing.T) {
	const rate = 32.0
	tests := []struct {
		name   string
		n      int
		freq   float64 // error sinusoid, Hz
		cutoff float64
		want   float64
	}{
		// A sinusoid of amplitude 2 exactly on a bin has RMS √2.
		{"above cutoff", 256, 8, 4, math.Sqrt2},
		{"below cutoff", 256, 2, 4, 0},
		{"short sequence", 64, 10, 4, math.Sqrt2},
		{"two segments", 512, 12, 4, math.Sqrt2},
	}
	for _, tc := range tests {
		est := frames(tc.n, func(i int) float64 { return 5 + 2*math.Sin(2*math.Pi*tc.freq*float64(i)/rate+0.3) })
		truth := frames(tc.n, func(i int) float64 { return 0 })
		got, err := HighFreqRMS(est, truth, rate, tc.cutoff)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// White noise: the fraction of energy above the cutoff is the fraction of the band.
	est := frames(256, func(i int) float64 { return math.Sin(float64(i*i) * 0.7) })
	truth := frames(256, func(int) float64 { return 0 })
	all, _ := HighFreqRMS(est, truth, rate, 0)
	half, _ := HighFreqRMS(est, truth, rate, rate/4)
	if r := half * half / (all * all); r < 0.4 || r > 0.6 {
		t.Errorf("pseudo-noise energy above rate/4: %.2f of total, want about 0.5", r)
	}
	if _, err := HighFreqRMS(est, truth, rate, rate/2); err == nil {
		t.Error("cutoff at Nyquist accepted")
	}
}

func TestLag(t *testing.T) {
	truth := frames(200, func(i int) float64 { return math.Sin(float64(i) * 0.05) })
	tests := []struct {
		name  string
		shift float64 // est(t) = truth(t - shift)
		want  float64
		tol   float64
	}{
		{"none", 0, 0, 1e-9},
		{"3 frames behind", 3, 3, 0.01},
		{"2 frames ahead", -2, -2, 0.01},
		{"fractional", 1.5, 1.5, 0.05},
	}
	for _, tc := range tests {
		est := frames(200, func(i int) float64 { return math.Sin((float64(i) - tc.shift) * 0.05) })
		got, err := Lag(est, truth, 8)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tc.want) > tc.tol {
			t.Errorf("%s: lag %v, want %v", tc.name, got, tc.want)
		}
	}
	if _, err := Lag(truth[:10], truth[:10], 8); err == nil {
		t.Error("sequence shorter than the lag window accepted")
	}
}

// TestFilterLagMatchesTheory checks Lag and the filter together: with beta = 0 the 1€ filter is an
// exponential average whose delay on slow signals is (1-α)/α = τ/Tₑ = rate/(2π·mincutoff) frames.
func TestFilterLagMatchesTheory(t *testing.T) {
	const rate = 60.0
	for _, mc := range []float64{1, 2, 4} {
		n := 1200
		times := make([]float64, n)
		for i := range times {
			times[i] = float64(i) / rate
		}
		truth := frames(n, func(i int) float64 { return 50 * math.Sin(2*math.Pi*0.05*times[i]) })
		out, err := FilterSeries(Params{MinCutoff: mc, DCutoff: 1}, times, truth)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Lag(out[100:], truth[100:], 20)
		if err != nil {
			t.Fatal(err)
		}
		want := rate / (2 * math.Pi * mc)
		if math.Abs(got-want) > 0.03*want {
			t.Errorf("mincutoff %v Hz: lag %.3f frames, want %.3f", mc, got, want)
		}
	}
}

// TestTune checks the tuning procedure's two steps on synthetic data: beta = 0 must trail on
// fast motion, and the chosen beta must cut that lag without exceeding the jitter budget at rest.
func TestTune(t *testing.T) {
	rest, err := Synthetic(SynthConfig{Joints: 4, MinFreq: 0.01, MaxFreq: 0.05, Amplitude: 10}, 11)
	if err != nil {
		t.Fatal(err)
	}
	motion, err := Synthetic(SynthConfig{Joints: 4, MinFreq: 0.3, MaxFreq: 1.5}, 12)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Tune(context.Background(), rest, motion, TuneConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", r)
	if r.Params.Beta <= 0 {
		t.Errorf("beta = %v, want > 0 on fast motion", r.Params.Beta)
	}
	if !(r.MotionLag < r.MotionLagBeta0) {
		t.Errorf("lag with beta %.2f, not below lag at beta 0 %.2f", r.MotionLag, r.MotionLagBeta0)
	}
	if r.RestJitter > r.RestJitterRaw/3 {
		t.Errorf("rest jitter %.3f, want well below raw %.3f", r.RestJitter, r.RestJitterRaw)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Tune(ctx, rest, motion, TuneConfig{}); err == nil {
		t.Error("cancelled context: no error")
	}
	if _, err := Tune(context.Background(), Sequence{}, motion, TuneConfig{}); err == nil {
		t.Error("empty rest sequence accepted")
	}
}

func TestSyntheticDeterministic(t *testing.T) {
	cfg := SynthConfig{Joints: 3, Frames: 50, TimeJitter: 0.3, PausePeriod: 2}
	a, err := Synthetic(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Synthetic(cfg, 5)
	c, _ := Synthetic(cfg, 6)
	for i := range a.Times {
		for j := range a.Observed[i] {
			if a.Observed[i][j] != b.Observed[i][j] || a.Times[i] != b.Times[i] {
				t.Fatal("same seed gave different sequences")
			}
		}
	}
	if a.Observed[3][0] == c.Observed[3][0] {
		t.Error("different seeds gave the same value")
	}
	if _, err := Synthetic(SynthConfig{TimeJitter: 1}, 1); err == nil {
		t.Error("time jitter 1 accepted")
	}
}
