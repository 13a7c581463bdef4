package smooth

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// readCSV reads a numeric CSV with a header row into columns by name.
func readCSV(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open fixture: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	cols := map[string][]float64{}
	for _, row := range rows[1:] {
		for i, name := range rows[0] {
			v, err := strconv.ParseFloat(row[i], 64)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			cols[name] = append(cols[name], v)
		}
	}
	return cols
}

// TestOneEuroReference feeds the reference implementation's noisy signal (Casiez's
// groundTruth.csv, testdata/oneeuro/README.txt) and compares with its filtered output: the
// upstream test's tolerance is 1e-4 on 6-digit values; the full-precision rerun of the C++ code
// must match to 1e-12.
func TestOneEuroReference(t *testing.T) {
	p := Params{MinCutoff: 1.0, Beta: 0.1, DCutoff: 1.0}
	tests := []struct {
		file string
		tol  float64
	}{
		{"groundTruth.csv", 3e-5},
		{"reference_fullprecision.csv", 1e-12},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			cols := readCSV(t, filepath.Join("testdata", "oneeuro", tc.file))
			ts, noisy, want := cols["timestamp"], cols["noisy"], cols["filtered"]
			if len(ts) != 1200 {
				t.Fatalf("fixture has %d rows, want 1200", len(ts))
			}
			f, err := NewOneEuro(p, 120)
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for i := range ts {
				got := f.Filter(noisy[i], ts[i])
				worst = math.Max(worst, math.Abs(got-want[i]))
			}
			t.Logf("max |out - reference| = %.3g", worst)
			if worst > tc.tol {
				t.Errorf("max |out - reference| = %.3g, want ≤ %.3g", worst, tc.tol)
			}
		})
	}
}

// TestOneEuroVariants checks that the fixture discriminates: the wrong parameters or the old
// raw-derivative variant must miss the reference by far more than the tolerance.
func TestOneEuroVariants(t *testing.T) {
	cols := readCSV(t, filepath.Join("testdata", "oneeuro", "reference_fullprecision.csv"))
	for _, beta := range []float64{0, 0.01, 1} {
		f, err := NewOneEuro(Params{MinCutoff: 1, Beta: beta, DCutoff: 1}, 120)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i, ts := range cols["timestamp"] {
			worst = math.Max(worst, math.Abs(f.Filter(cols["noisy"][i], ts)-cols["filtered"][i]))
		}
		if worst < 0.01 {
			t.Errorf("beta %v: max deviation %.3g, want the fixture to reject it", beta, worst)
		}
	}
}

func TestOneEuroBasics(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		rate float64
		ok   bool
	}{
		{"default", DefaultParams(), 30, true},
		{"zero mincutoff", Params{0, 0, 1}, 30, false},
		{"negative beta", Params{1, -1, 1}, 30, false},
		{"zero dcutoff", Params{1, 0, 0}, 30, false},
		{"NaN mincutoff", Params{math.NaN(), 0, 1}, 30, false},
		{"zero rate", DefaultParams(), 0, false},
		{"infinite rate", DefaultParams(), math.Inf(1), false},
	}
	for _, tc := range tests {
		_, err := NewOneEuro(tc.p, tc.rate)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}

	// A constant signal stays constant (up to rounding); the first sample passes unchanged.
	f, _ := NewOneEuro(Params{MinCutoff: 0.5, Beta: 0.3, DCutoff: 1}, 30)
	for i := 0; i < 50; i++ {
		if got := f.Filter(7.25, float64(i)/30); math.Abs(got-7.25) > 1e-12 {
			t.Fatalf("constant input: sample %d = %v", i, got)
		}
	}

	// With beta = 0 the filter is an exponential average with α = 1/(1 + τ/Tₑ): check one step
	// by hand. fc = 1 Hz, rate 10 Hz: τ = 1/(2π), Tₑ = 0.1, α = 1/(1 + 10/(2π)) = 0.385869...
	f, _ = NewOneEuro(Params{MinCutoff: 1, Beta: 0, DCutoff: 1}, 10)
	f.Filter(0, 0)
	got := f.Filter(1, 0.1)
	if want := 0.38586954509503; math.Abs(got-want) > 1e-12 {
		t.Errorf("one EMA step = %.14f, want %.14f", got, want)
	}
	// Reset: the next sample passes unchanged.
	f.Reset()
	if got := f.Filter(3, 5); got != 3 {
		t.Errorf("after Reset: %v, want 3", got)
	}
}

// TestOneEuroActualTimeStep checks that Tₑ is the actual time step: a sample 0.2 s after the
// previous one must be filtered with α for Tₑ = 0.2 whatever the initial rate was.
func TestOneEuroActualTimeStep(t *testing.T) {
	f, _ := NewOneEuro(Params{MinCutoff: 2, Beta: 0, DCutoff: 1}, 1000)
	f.Filter(0, 1.0)
	got := f.Filter(1, 1.2)
	want := alpha(2, 5)
	if math.Abs(got-want) > 1e-15 {
		t.Errorf("after a 0.2 s step: %v, want α(2 Hz, 5 Hz) = %v", got, want)
	}
}
