package main

import (
	"strings"
	"testing"

	"github.com/posedistill/posedistill/distill"
)

// TestDistillReportsStepShare checks that distill's result line gives the run's throughput and the
// share of its time spent in training steps, as train's does.
func TestDistillReportsStepShare(t *testing.T) {
	got := stepShare(distill.Result{Name: "student", Elapsed: 200, StepTime: 150, ImgPerSec: 12.5})
	for _, want := range []string{"student: 3m20s", "12.5 img/s", "75 % of the time in training steps"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}
