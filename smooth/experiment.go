package smooth

import (
	"context"
	"fmt"
	"io"
)

// ExperimentResult holds the figures of Experiment: the tuned parameters and the test
// sequence's jitter, error and lag before (Raw) and after (Filtered) smoothing.
type ExperimentResult struct {
	Seed   uint64
	Tune   TuneResult
	Test   SynthConfig
	Cutoff float64 // Hz above which error counts as jitter

	RawAccel, FilteredAccel float64 // mean acceleration error, units/frame²
	RawHF, FilteredHF       float64 // high-frequency error RMS, units
	RawRMSE, FilteredRMSE   float64 // RMSE, units
	RawLag, FilteredLag     float64 // lag, frames
}

// JitterReduction returns how many times smaller the filtered acceleration error is.
func (r ExperimentResult) JitterReduction() float64 { return r.RawAccel / r.FilteredAccel }

// Experiment measures what the 1€ filter does to noisy keypoints: it tunes mincutoff and beta
// with Tune on a slow (rest) and a fast (motion) synthetic 17-joint 2D sequence at 30 Hz with
// 3-pixel noise, then filters a third, independent 30-second sequence whose motion stops and
// restarts every 4 seconds, at a ±20% variable frame rate, and compares it with its truth. The same seed gives the same figures.
func Experiment(ctx context.Context, seed uint64) (ExperimentResult, error) {
	rest, err := Synthetic(SynthConfig{MinFreq: 0.01, MaxFreq: 0.05, Amplitude: 10}, seed)
	if err != nil {
		return ExperimentResult{}, err
	}
	motion, err := Synthetic(SynthConfig{MinFreq: 0.3, MaxFreq: 1.5}, seed+1)
	if err != nil {
		return ExperimentResult{}, err
	}
	res := ExperimentResult{Seed: seed, Test: SynthConfig{Frames: 900, MinFreq: 0.05, MaxFreq: 1, Amplitude: 30, TimeJitter: 0.2, PausePeriod: 4}.withDefaults()}
	test, err := Synthetic(res.Test, seed+2)
	if err != nil {
		return res, err
	}
	if res.Tune, err = Tune(ctx, rest, motion, TuneConfig{}); err != nil {
		return res, fmt.Errorf("experiment: %w", err)
	}
	filtered, err := FilterSeries(res.Tune.Params, test.Times, test.Observed)
	if err != nil {
		return res, fmt.Errorf("experiment: %w", err)
	}
	res.Cutoff = res.Test.Rate / 4
	for _, m := range []struct {
		est        [][]float64
		accel, hf  *float64
		rmse, lagp *float64
	}{
		{test.Observed, &res.RawAccel, &res.RawHF, &res.RawRMSE, &res.RawLag},
		{filtered, &res.FilteredAccel, &res.FilteredHF, &res.FilteredRMSE, &res.FilteredLag},
	} {
		if *m.accel, err = AccelError(m.est, test.Truth, res.Test.Dim); err != nil {
			return res, fmt.Errorf("experiment: %w", err)
		}
		if *m.hf, err = HighFreqRMS(m.est, test.Truth, res.Test.Rate, res.Cutoff); err != nil {
			return res, fmt.Errorf("experiment: %w", err)
		}
		if *m.rmse, err = RMSE(m.est, test.Truth); err != nil {
			return res, fmt.Errorf("experiment: %w", err)
		}
		if *m.lagp, err = Lag(m.est, test.Truth, 15); err != nil {
			return res, fmt.Errorf("experiment: %w", err)
		}
	}
	return res, nil
}

// WriteReport prints the experiment's figures as a small Markdown table.
func (r ExperimentResult) WriteReport(w io.Writer) error {
	p := r.Tune.Params
	_, err := fmt.Fprintf(w, `1€ filter on synthetic keypoints (seed %d): %d joints × %dD, %d frames at %.0f Hz ±%.0f%%, noise σ = %.1f px
tuned: mincutoff = %.4g Hz, beta = %.4g, dcutoff = %.4g Hz (motion-sequence lag at beta = 0: %.2f frames, with beta: %.2f)

| metric | raw | filtered | ratio |
|---|---|---|---|
| acceleration error (px/frame²) | %.3f | %.3f | %.1f× |
| error RMS above %.1f Hz (px) | %.3f | %.3f | %.1f× |
| RMSE (px) | %.3f | %.3f | %.1f× |
| lag (frames) | %.2f | %.2f | |
| lag (ms) | %.1f | %.1f | |
`,
		r.Seed, r.Test.Joints, r.Test.Dim, r.Test.Frames, r.Test.Rate, 100*r.Test.TimeJitter, r.Test.Noise,
		p.MinCutoff, p.Beta, p.DCutoff, r.Tune.MotionLagBeta0, r.Tune.MotionLag,
		r.RawAccel, r.FilteredAccel, r.RawAccel/r.FilteredAccel,
		r.Cutoff, r.RawHF, r.FilteredHF, r.RawHF/r.FilteredHF,
		r.RawRMSE, r.FilteredRMSE, r.RawRMSE/r.FilteredRMSE,
		r.RawLag, r.FilteredLag, 1000*r.RawLag/r.Test.Rate, 1000*r.FilteredLag/r.Test.Rate)
	return err
}
