package smooth

import (
	"context"
	"os"
	"testing"
)

// TestREADMEFigures reproduces the README's smoothing figures:
//
//	go test -run TestREADMEFigures -v ./smooth
//
// and checks the claim they support: a large reduction of jitter at a lag of a few frames.
func TestREADMEFigures(t *testing.T) {
	r, err := Experiment(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		if err := r.WriteReport(os.Stdout); err != nil {
			t.Fatal(err)
		}
	}
	if r.JitterReduction() < 5 {
		t.Errorf("acceleration error reduced %.2f×, want ≥ 5×", r.JitterReduction())
	}
	if r.RawHF/r.FilteredHF < 5 {
		t.Errorf("high-frequency error reduced %.2f×, want ≥ 5×", r.RawHF/r.FilteredHF)
	}
	if r.FilteredLag < 0 || r.FilteredLag > 4 {
		t.Errorf("filtered lag %.2f frames, want within [0, 4]", r.FilteredLag)
	}
	if r.FilteredRMSE > 1.5*r.RawRMSE {
		t.Errorf("filtered RMSE %.3f, want ≤ 1.5 × raw %.3f", r.FilteredRMSE, r.RawRMSE)
	}
	again, err := Experiment(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if again != r {
		t.Error("same seed gave different figures")
	}
}
