package smooth

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/dataset"
)

// trackGT builds one sequence of n frames at 25 fps with one track of 2 joints moving on a
// circle; joint 1 is unlabelled in frame 5.
func trackGT(n int) (*dataset.Dataset, map[int64]FrameTime) {
	d := &dataset.Dataset{}
	times := map[int64]FrameTime{}
	for f := 0; f < n; f++ {
		id := int64(f + 1)
		ts := float64(f) / 25
		d.Images = append(d.Images, dataset.Image{ID: id, SequenceID: 1, FrameIndex: f, Timestamp: ts})
		times[id] = FrameTime{Sequence: 1, Time: ts}
		kp := []float64{100 + 20*math.Cos(ts), 100 + 20*math.Sin(ts), 2, 50 + 30*math.Sin(2*ts), 60, 2}
		if f == 5 {
			kp[5] = 0
		}
		d.Annotations = append(d.Annotations, dataset.Annotation{ID: id, ImageID: id, CategoryID: 1, Keypoints: kp, TrackID: 4})
	}
	return d, times
}

func TestEvaluateTemporal(t *testing.T) {
	gt, times := trackGT(60)
	exact := make([]dataset.Result, len(gt.Annotations))
	delayed := make([]dataset.Result, len(gt.Annotations))
	for i, a := range gt.Annotations {
		kp := append([]float64(nil), a.Keypoints...)
		kp[2], kp[5] = 1, 1
		exact[i] = dataset.Result{ImageID: a.ImageID, Keypoints: kp, TrackID: 4}
		src := gt.Annotations[max(0, i-2)].Keypoints
		delayed[i] = dataset.Result{ImageID: a.ImageID, Keypoints: []float64{src[0], src[1], 1, src[3], src[4], 1}, TrackID: 4}
	}
	tests := []struct {
		name            string
		results         []dataset.Result
		runs, frames    int
		lag, rmseAbove  float64
		accelBelow      float64
		wantErrContains string
	}{
		// Joint 0 is one run of 60 frames; joint 1, unlabelled in frame 5, gives runs of 5
		// (too short) and 54 frames.
		{name: "exact", results: exact, runs: 2, frames: 114, lag: 0, accelBelow: 1e-9},
		{name: "delayed 2 frames", results: delayed, runs: 2, frames: 114, lag: 2, rmseAbove: 1},
		// Dropping the result of frame 30 cuts both joints there: 30 + 29 and 24 + 29 frames.
		{name: "gap", results: append(append([]dataset.Result(nil), exact[:30]...), exact[31:]...), runs: 4, frames: 112, accelBelow: 1e-9},
		{name: "nothing matched", results: nil, wantErrContains: "no joint"},
	}
	for _, tc := range tests {
		m, err := EvaluateTemporal(gt, tc.results, times, 10)
		if tc.wantErrContains != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErrContains) {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.wantErrContains)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if m.Runs != tc.runs || m.Frames != tc.frames {
			t.Errorf("%s: %d runs, %d frames; want %d, %d", tc.name, m.Runs, m.Frames, tc.runs, tc.frames)
		}
		if math.Abs(m.Lag-tc.lag) > 0.05 {
			t.Errorf("%s: lag %v, want %v", tc.name, m.Lag, tc.lag)
		}
		if tc.accelBelow > 0 && m.AccelError > tc.accelBelow {
			t.Errorf("%s: accel error %v", tc.name, m.AccelError)
		}
		if m.RMSE < tc.rmseAbove {
			t.Errorf("%s: RMSE %v, want ≥ %v", tc.name, m.RMSE, tc.rmseAbove)
		}
	}
}

func TestNoisyResultsAndTable(t *testing.T) {
	gt, times := trackGT(200)
	a, err := NoisyResults(gt, 2, 9)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NoisyResults(gt, 2, 9)
	if len(a) != 200 || a[7].Keypoints[0] != b[7].Keypoints[0] {
		t.Fatal("NoisyResults not deterministic or incomplete")
	}
	if a[5].Keypoints[5] != 0 || a[5].Keypoints[3] != gt.Annotations[5].Keypoints[3] {
		t.Errorf("unlabelled joint changed or scored: %v", a[5].Keypoints)
	}
	raw, err := EvaluateTemporal(gt, a, times, 10)
	if err != nil {
		t.Fatal(err)
	}
	// Per-coordinate noise σ = 2 → RMSE ≈ 2.
	if math.Abs(raw.Rate-25) > 1e-9 {
		t.Errorf("rate %v, want 25", raw.Rate)
	}
	if math.Abs(raw.RMSE-2) > 0.2 {
		t.Errorf("RMSE of σ=2 noise: %v", raw.RMSE)
	}
	smoothed, _, err := SmoothResults(t.Context(), a, times, KeypointConfig{Params: Params{MinCutoff: 0.5, Beta: 0.01, DCutoff: 1}})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := EvaluateTemporal(gt, smoothed, times, 10)
	if err != nil {
		t.Fatal(err)
	}
	if sm.AccelError > raw.AccelError/4 {
		t.Errorf("smoothing reduced the acceleration error only from %v to %v", raw.AccelError, sm.AccelError)
	}
	var buf bytes.Buffer
	if err := WriteTemporalTable(&buf, raw, sm); err != nil || !strings.Contains(buf.String(), "acceleration error") {
		t.Errorf("table: %v %q", err, buf.String())
	}
	if _, err := NoisyResults(gt, math.NaN(), 1); err == nil {
		t.Error("NaN sigma accepted")
	}
}
