package smooth

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SynthConfig describes synthetic keypoint trajectories for experiments and tests: each
// coordinate is a sum of three sinusoids with random frequencies in [MinFreq, MaxFreq] Hz,
// phases and amplitudes up to Amplitude, observed with Gaussian noise of standard deviation
// Noise. Zero fields take the defaults in brackets.
type SynthConfig struct {
	Joints    int     // keypoints per frame [17]
	Dim       int     // coordinates per keypoint [2]
	Frames    int     // frames [300]
	Rate      float64 // nominal frame rate, Hz [30]
	MinFreq   float64 // lowest motion frequency, Hz [0.05]
	MaxFreq   float64 // highest motion frequency, Hz [2]
	Amplitude float64 // largest amplitude of one sinusoid, signal units [40]
	Noise     float64 // standard deviation of the observation noise [3]
	// TimeJitter varies the frame rate: each frame interval is (1 + u·TimeJitter)/Rate with u
	// uniform in [-1, 1] (must be < 1) [0].
	TimeJitter float64
	// PausePeriod, when positive, alternates rest and motion: time inside the sinusoids is warped
	// by the speed envelope sin²(π·t/PausePeriod), so the motion comes to a stop once per
	// period and is fastest half a period later [0: no pauses].
	PausePeriod float64
}

func (c SynthConfig) withDefaults() SynthConfig {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Joints == 0 {
		c.Joints = 17
	}
	if c.Dim == 0 {
		c.Dim = 2
	}
	if c.Frames == 0 {
		c.Frames = 300
	}
	def(&c.Rate, 30)
	def(&c.MinFreq, 0.05)
	def(&c.MaxFreq, 2)
	def(&c.Amplitude, 40)
	def(&c.Noise, 3)
	return c
}

// Synthetic returns a random sequence drawn from cfg; the same seed gives the same sequence.
func Synthetic(cfg SynthConfig, seed uint64) (Sequence, error) {
	cfg = cfg.withDefaults()
	if cfg.Joints < 0 || cfg.Dim < 0 || cfg.Frames < 2 || !(cfg.Rate > 0) || !(cfg.MinFreq > 0) ||
		cfg.MaxFreq < cfg.MinFreq || cfg.Noise < 0 || cfg.Amplitude < 0 || cfg.PausePeriod < 0 || !(cfg.TimeJitter >= 0 && cfg.TimeJitter < 1) {
		return Sequence{}, fmt.Errorf("synthetic sequence: invalid config %+v", cfg)
	}
	rng := rand.New(rand.NewPCG(seed, 0x1e0f1e0f))
	n := cfg.Joints * cfg.Dim
	type wave struct{ amp, freq, phase float64 }
	waves := make([][3]wave, n)
	base := make([]float64, n)
	for c := range waves {
		base[c] = 100 + 300*rng.Float64()
		for k := range waves[c] {
			waves[c][k] = wave{
				amp:   cfg.Amplitude * rng.Float64(),
				freq:  cfg.MinFreq * math.Pow(cfg.MaxFreq/cfg.MinFreq, rng.Float64()),
				phase: 2 * math.Pi * rng.Float64(),
			}
		}
	}
	s := Sequence{
		Times:    make([]float64, cfg.Frames),
		Observed: make([][]float64, cfg.Frames),
		Truth:    make([][]float64, cfg.Frames),
	}
	t := 0.0
	for i := range s.Times {
		if i > 0 {
			t += (1 + cfg.TimeJitter*(2*rng.Float64()-1)) / cfg.Rate
		}
		s.Times[i] = t
		s.Truth[i] = make([]float64, n)
		s.Observed[i] = make([]float64, n)
		tau := t // motion time
		if cfg.PausePeriod > 0 {
			// ∫₀ᵗ 2·sin²(πu/P) du: the same mean speed, stopping once per period.
			tau = t - cfg.PausePeriod/(2*math.Pi)*math.Sin(2*math.Pi*t/cfg.PausePeriod)
		}
		for c := range waves {
			x := base[c]
			for _, w := range waves[c] {
				x += w.amp * math.Sin(2*math.Pi*w.freq*tau+w.phase)
			}
			s.Truth[i][c] = x
			s.Observed[i][c] = x + cfg.Noise*rng.NormFloat64()
		}
	}
	return s, nil
}
