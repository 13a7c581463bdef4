package smooth

import (
	"fmt"
	"math"
	"sort"
)

// Sequence is a sampled trajectory with its ground truth: frame i, taken at Times[i] seconds,
// was observed as Observed[i] while the true values were Truth[i] (vectors of equal length).
type Sequence struct {
	Times    []float64
	Observed [][]float64
	Truth    [][]float64
}

// validate checks the sequence's shape and timestamps.
func (s Sequence) validate() error {
	if len(s.Times) != len(s.Observed) {
		return fmt.Errorf("sequence: %d times for %d frames", len(s.Times), len(s.Observed))
	}
	if err := checkPair(s.Observed, s.Truth, 0, 2); err != nil {
		return fmt.Errorf("sequence: %w", err)
	}
	for i := 1; i < len(s.Times); i++ {
		if !(s.Times[i] > s.Times[i-1]) {
			return fmt.Errorf("sequence: time %v at frame %d does not increase", s.Times[i], i)
		}
	}
	return nil
}

// Rate returns the sequence's median frame rate in Hz (0 with fewer than two frames).
func (s Sequence) Rate() float64 {
	return medianRate(s.Times)
}

func medianRate(times []float64) float64 {
	if len(times) < 2 {
		return 0
	}
	steps := make([]float64, len(times)-1)
	for i := range steps {
		steps[i] = times[i+1] - times[i]
	}
	sort.Float64s(steps)
	return 1 / steps[len(steps)/2]
}

// FilterSeries runs a fresh 1€ filter with parameters p over each coordinate of values (frame i
// taken at times[i] seconds) and returns the filtered frames.
func FilterSeries(p Params, times []float64, values [][]float64) ([][]float64, error) {
	if len(times) != len(values) {
		return nil, fmt.Errorf("filter series: %d times for %d frames", len(times), len(values))
	}
	if len(values) == 0 {
		return nil, nil
	}
	rate := medianRate(times)
	if !(rate > 0) || math.IsInf(rate, 0) {
		rate = 30
	}
	filters := make([]*OneEuro, len(values[0]))
	for c := range filters {
		f, err := NewOneEuro(p, rate)
		if err != nil {
			return nil, fmt.Errorf("filter series: %w", err)
		}
		filters[c] = f
	}
	out := make([][]float64, len(values))
	for i, v := range values {
		if len(v) != len(filters) {
			return nil, fmt.Errorf("filter series: frame %d has %d values, want %d", i, len(v), len(filters))
		}
		out[i] = make([]float64, len(v))
		for c, x := range v {
			out[i][c] = filters[c].Filter(x, times[i])
		}
	}
	return out, nil
}
