package experiment

import (
	"math"
	"testing"
)

// Table cells show no spread for one seed and a dash where pycocotools has no value.
func TestStatCell(t *testing.T) {
	for _, tc := range []struct {
		s        Stat
		seeds    int
		decimals int
		want     string
	}{
		{Stat{Mean: 0.4021, Std: 0}, 1, 3, "0.402"},
		{Stat{Mean: 0.4021, Std: 0.0061}, 3, 3, "0.402 ± 0.006"},
		{Stat{Mean: -1}, 1, 3, "—"},
		{Stat{Mean: math.NaN()}, 3, 3, "—"},
		{Stat{Mean: 320.54, Std: 2.25}, 3, 1, "320.5 ± 2.2"},
	} {
		if got := tc.s.Cell(tc.seeds, tc.decimals); got != tc.want {
			t.Errorf("%+v over %d seeds: %q, want %q", tc.s, tc.seeds, got, tc.want)
		}
	}
}
