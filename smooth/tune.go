package smooth

import (
	"context"
	"fmt"
	"math"
)

// TuneConfig configures Tune. Zero fields take the documented defaults.
type TuneConfig struct {
	// DCutoff is the derivative cutoff, kept fixed as the paper recommends (1 Hz when zero).
	DCutoff float64
	// MinCutoffs is the grid searched for mincutoff (Hz). Default: 30 values spaced
	// logarithmically from 0.01 to 20 Hz.
	MinCutoffs []float64
	// Betas is the grid searched for beta, in increasing order. Default: 0 and 40 values spaced
	// logarithmically from 1e-5 to 10.
	Betas []float64
	// JitterSlack bounds how much beta may raise the jitter at rest: the chosen beta keeps the
	// rest sequence's high-frequency error within (1 + JitterSlack) times its value at beta = 0.
	// 0.5 when zero.
	JitterSlack float64
	// JitterCutoff is the frequency (Hz) above which error counts as jitter (HighFreqRMS).
	// Default: a quarter of the rest sequence's frame rate.
	JitterCutoff float64
}

// TuneResult is what Tune chose and the figures it chose them by.
type TuneResult struct {
	Params Params
	// RestRMSE and RestJitter are the rest sequence's RMSE and high-frequency error after
	// filtering with Params; RestJitterRaw is the unfiltered high-frequency error.
	RestRMSE, RestJitter, RestJitterRaw float64
	// MotionRMSE and MotionLag (frames) are the motion sequence's figures with Params;
	// MotionLagBeta0 is its lag at beta = 0, before step 2.
	MotionRMSE, MotionLag, MotionLagBeta0 float64
}

func logGrid(lo, hi float64, n int) []float64 {
	g := make([]float64, n)
	for i := range g {
		g[i] = lo * math.Pow(hi/lo, float64(i)/float64(n-1))
	}
	return g
}

// Tune chooses the 1€ parameters by the procedure of Casiez et al. (CHI 2012, section "Tuning"),
// automated with ground truth:
//
//  1. beta = 0; mincutoff is set on rest, a sequence held still or moving slowly, to the grid
//     value minimising the RMSE against the truth there: the balance between jitter (too high a
//     cutoff) and lag (too low) at low speed.
//  2. With that mincutoff, beta is increased along its grid on motion, a sequence with fast
//     movements, to the value minimising motion's RMSE (which lag dominates), among the betas
//     that keep rest's high-frequency error within JitterSlack of its beta = 0 value.
//
// With a perfectly still truth in rest, step 1 favours the lowest mincutoff of the grid.
func Tune(ctx context.Context, rest, motion Sequence, cfg TuneConfig) (TuneResult, error) {
	if err := rest.validate(); err != nil {
		return TuneResult{}, fmt.Errorf("tune: rest %w", err)
	}
	if err := motion.validate(); err != nil {
		return TuneResult{}, fmt.Errorf("tune: motion %w", err)
	}
	if cfg.DCutoff == 0 {
		cfg.DCutoff = 1
	}
	if cfg.MinCutoffs == nil {
		cfg.MinCutoffs = logGrid(0.01, 20, 30)
	}
	if cfg.Betas == nil {
		cfg.Betas = append([]float64{0}, logGrid(1e-5, 10, 40)...)
	}
	if cfg.JitterSlack == 0 {
		cfg.JitterSlack = 0.5
	}
	if cfg.JitterCutoff == 0 {
		cfg.JitterCutoff = rest.Rate() / 4
	}
	var res TuneResult
	var err error
	if res.RestJitterRaw, err = HighFreqRMS(rest.Observed, rest.Truth, rest.Rate(), cfg.JitterCutoff); err != nil {
		return res, fmt.Errorf("tune: rest: %w", err)
	}

	// Step 1: mincutoff at beta = 0 on the rest sequence.
	bestRMSE := math.Inf(1)
	for _, mc := range cfg.MinCutoffs {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("tune: %w", err)
		}
		p := Params{MinCutoff: mc, Beta: 0, DCutoff: cfg.DCutoff}
		r, _, err := evaluate(p, rest, cfg.JitterCutoff)
		if err != nil {
			return res, fmt.Errorf("tune: rest, mincutoff %v: %w", mc, err)
		}
		if r < bestRMSE {
			bestRMSE, res.Params = r, p
		}
	}
	_, jitter0, err := evaluate(res.Params, rest, cfg.JitterCutoff)
	if err != nil {
		return res, fmt.Errorf("tune: rest: %w", err)
	}

	// Step 2: beta on the motion sequence, within the jitter budget at rest.
	bestRMSE = math.Inf(1)
	chosen := res.Params
	for _, beta := range cfg.Betas {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("tune: %w", err)
		}
		p := res.Params
		p.Beta = beta
		_, jitter, err := evaluate(p, rest, cfg.JitterCutoff)
		if err != nil {
			return res, fmt.Errorf("tune: rest, beta %v: %w", beta, err)
		}
		if jitter > (1+cfg.JitterSlack)*jitter0 {
			continue
		}
		r, _, err := evaluate(p, motion, cfg.JitterCutoff)
		if err != nil {
			return res, fmt.Errorf("tune: motion, beta %v: %w", beta, err)
		}
		if r < bestRMSE {
			bestRMSE, chosen = r, p
		}
	}
	base := res.Params
	res.Params = chosen
	if res.RestRMSE, res.RestJitter, err = evaluate(chosen, rest, cfg.JitterCutoff); err != nil {
		return res, fmt.Errorf("tune: rest: %w", err)
	}
	res.MotionRMSE = bestRMSE
	maxLag := max(1, min(30, len(motion.Times)/4-1))
	if res.MotionLag, err = lagOf(chosen, motion, maxLag); err != nil {
		return res, fmt.Errorf("tune: motion: %w", err)
	}
	if res.MotionLagBeta0, err = lagOf(base, motion, maxLag); err != nil {
		return res, fmt.Errorf("tune: motion: %w", err)
	}
	return res, nil
}

// evaluate filters s with p and returns the RMSE and the high-frequency error against the truth.
func evaluate(p Params, s Sequence, jitterCutoff float64) (rmse, jitter float64, err error) {
	out, err := FilterSeries(p, s.Times, s.Observed)
	if err != nil {
		return 0, 0, err
	}
	if rmse, err = RMSE(out, s.Truth); err != nil {
		return 0, 0, err
	}
	if jitter, err = HighFreqRMS(out, s.Truth, s.Rate(), jitterCutoff); err != nil {
		return 0, 0, err
	}
	return rmse, jitter, nil
}

func lagOf(p Params, s Sequence, maxLag int) (float64, error) {
	out, err := FilterSeries(p, s.Times, s.Observed)
	if err != nil {
		return 0, err
	}
	return Lag(out, s.Truth, maxLag)
}
