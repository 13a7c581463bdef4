package experiment

import (
	"fmt"
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

// The per-pair swap table has a column per teacher and per variant's first seed, a row per limb
// pair, and a dash for a pair never judged; runs without pair rates (3D runs) get no column.
func TestPairSwapTable(t *testing.T) {
	o := &Outcome{
		Teachers: []Run{{Variant: "primary", Scores: Scores{PairSwap: []float64{0.05, 0, 0, 0, 0, -1}}}},
		Runs: []Run{
			{Variant: "gt", Scores: Scores{PairSwap: []float64{0.1, 0, 0, 0, 0, 0.45}}},
			{Variant: "gt", Scores: Scores{PairSwap: []float64{0.2, 0, 0, 0, 0, 0.30}}},
			{Variant: "3d"},
		},
	}
	tbl := PairSwapTable(o, "student ")
	wantHeader := []string{"pair", "teacher primary", "student gt"}
	if fmt.Sprint(tbl.Header) != fmt.Sprint(wantHeader) || len(tbl.Rows) != 6 {
		t.Fatalf("header %q, %d rows; want %q, 6", tbl.Header, len(tbl.Rows), wantHeader)
	}
	first, last := tbl.Rows[0], tbl.Rows[5]
	if fmt.Sprint(first) != fmt.Sprint([]string{"shoulder", "0.050", "0.100"}) || fmt.Sprint(last) != fmt.Sprint([]string{"ankle", "—", "0.450"}) {
		t.Errorf("rows %q … %q, want shoulder 0.050 0.100 … ankle — 0.450", first, last)
	}
}
