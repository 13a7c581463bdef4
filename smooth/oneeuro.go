package smooth

import (
	"fmt"
	"math"
)

// Params are the 1€ filter's parameters.
type Params struct {
	// MinCutoff is the cutoff frequency in Hz used at zero speed (> 0). Lower values remove more
	// jitter at rest and add more lag.
	MinCutoff float64
	// Beta is the speed coefficient (≥ 0): the cutoff grows by Beta·|speed|, with the speed in
	// signal units per second. Higher values reduce lag during fast motion.
	Beta float64
	// DCutoff is the cutoff frequency in Hz of the low-pass filter applied to the speed (> 0).
	DCutoff float64
}

// DefaultParams returns the paper's starting point: mincutoff 1 Hz, beta 0, dcutoff 1 Hz.
func DefaultParams() Params { return Params{MinCutoff: 1, Beta: 0, DCutoff: 1} }

// Validate reports whether the parameters can drive a filter.
func (p Params) Validate() error {
	switch {
	case !(p.MinCutoff > 0) || math.IsInf(p.MinCutoff, 0):
		return fmt.Errorf("1€ filter: mincutoff %v must be a positive finite frequency", p.MinCutoff)
	case !(p.Beta >= 0) || math.IsInf(p.Beta, 0):
		return fmt.Errorf("1€ filter: beta %v must be finite and ≥ 0", p.Beta)
	case !(p.DCutoff > 0) || math.IsInf(p.DCutoff, 0):
		return fmt.Errorf("1€ filter: dcutoff %v must be a positive finite frequency", p.DCutoff)
	}
	return nil
}

// alpha is the smoothing factor of an exponential low-pass filter with the given cutoff
// frequency (Hz) at the sampling rate (Hz): α = 1/(1 + τ/Tₑ), τ = 1/(2π·cutoff), Tₑ = 1/rate.
func alpha(cutoff, rate float64) float64 {
	te := 1.0 / rate
	tau := 1.0 / (2 * math.Pi * cutoff)
	return 1.0 / (1.0 + tau/te)
}

// OneEuro is the 1€ filter of one scalar signal. The zero value is not usable: build it with
// NewOneEuro.
//
// Each sample updates the sampling rate from the time elapsed since the previous sample (Tₑ is
// the actual step, so frame drops and variable frame rates are handled), estimates the speed from
// the previous filtered value, low-passes that speed at DCutoff, sets the cutoff to
// MinCutoff + Beta·|speed| and low-passes the sample with it. The first sample passes unchanged.
type OneEuro struct {
	p    Params
	rate float64 // current sampling rate estimate, Hz

	started  bool    // a sample has been filtered
	last     float64 // previous filtered value
	dxLast   float64 // previous filtered speed
	lastTime float64 // timestamp of the previous sample
}

// NewOneEuro returns a filter with parameters p that assumes the sampling rate rate (Hz) until
// two timestamps have been seen.
func NewOneEuro(p Params, rate float64) (*OneEuro, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if !(rate > 0) || math.IsInf(rate, 0) {
		return nil, fmt.Errorf("1€ filter: sampling rate %v must be a positive finite frequency", rate)
	}
	return &OneEuro{p: p, rate: rate}, nil
}

// Filter returns the filtered value of sample x taken at time t (seconds). Timestamps that do
// not increase keep the previous sampling rate estimate (as the reference implementation does).
// A finite sample never gives NaN: if the speed estimate overflows, the sample passes unchanged.
func (f *OneEuro) Filter(x, t float64) float64 {
	if f.started && t > f.lastTime {
		// Steps so small (or large) that the rate is not a positive finite number keep the
		// previous estimate.
		if r := 1.0 / (t - f.lastTime); r > 0 && !math.IsInf(r, 0) {
			f.rate = r
		}
	}
	f.lastTime = t
	if !f.started {
		f.started = true
		f.last = x
		f.dxLast = 0
		return x
	}
	// The speed comes from the previous filtered value (the 2023 correction of the reference
	// code), and is itself low-passed at DCutoff.
	dx := (x - f.last) * f.rate
	a := alpha(f.p.DCutoff, f.rate)
	edx := a*dx + (1.0-a)*f.dxLast
	if math.IsNaN(edx) || math.IsInf(edx, 0) {
		// The speed overflowed: treat it as infinitely fast (the sample passes unchanged) and
		// restart the speed estimate.
		f.dxLast, f.last = 0, x
		return x
	}
	f.dxLast = edx
	cutoff := f.p.MinCutoff + f.p.Beta*math.Abs(edx)
	a = alpha(cutoff, f.rate)
	y := a*x + (1.0-a)*f.last
	f.last = y
	return y
}

// Last returns the most recent filtered value and whether the filter has seen a sample.
func (f *OneEuro) Last() (float64, bool) { return f.last, f.started }

// Reset forgets the filter's history; the next sample passes unchanged. The sampling rate keeps
// its latest estimate.
func (f *OneEuro) Reset() {
	f.started = false
	f.last, f.dxLast, f.lastTime = 0, 0, 0
}
