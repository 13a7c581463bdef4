package smooth

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/posedistill/posedistill/dataset"
)

// TemporalMetrics summarises how keypoint results follow ground-truth trajectories over time.
type TemporalMetrics struct {
	// Runs counts the evaluated joint trajectories: stretches of consecutive frames in which one
	// joint of one track is labelled and detected. Frames counts their joint-frames.
	Runs, Frames int
	// AccelError is the mean acceleration error (pixels per frame²), HighFreqRMS the error RMS
	// above a quarter of the frame rate (pixels) and RMSE the plain error (pixels), averaged over
	// runs weighted by their frames.
	AccelError, HighFreqRMS, RMSE float64
	// Lag is the delay in frames, averaged over runs weighted by their motion (the sum of the
	// truth's squared frame-to-frame displacements): a joint at rest has no measurable lag.
	Lag float64
	// Rate is the runs' median frame rate (Hz), averaged with weights by frames.
	Rate float64
}

// EvaluateTemporal compares results with the ground-truth annotations of gt over time. Each
// annotation with a track id is matched to the result of the same image and track id. Every
// joint of every track is cut into runs wherever it is unlabelled in the ground truth (v = 0),
// its result is missing or scored 0, or two frames are more than 1.5 median steps apart; runs
// shorter than minFrames (at least 8) are skipped.
func EvaluateTemporal(gt *dataset.Dataset, results []dataset.Result, times map[int64]FrameTime, minFrames int) (TemporalMetrics, error) {
	minFrames = max(minFrames, 8)
	type key struct{ image, track int64 }
	byKey := map[key][]float64{}
	for _, r := range results {
		if r.TrackID != 0 {
			byKey[key{r.ImageID, r.TrackID}] = r.Keypoints
		}
	}
	type frame struct {
		t      float64
		gt, dt []float64
	}
	tracks := map[[2]int64][]frame{}
	var order [][2]int64
	for _, a := range gt.Annotations {
		if a.TrackID == 0 {
			continue
		}
		ft, ok := times[a.ImageID]
		if !ok {
			return TemporalMetrics{}, fmt.Errorf("temporal metrics: annotation %d: image %d has no frame time", a.ID, a.ImageID)
		}
		tk := [2]int64{ft.Sequence, a.TrackID}
		if _, ok := tracks[tk]; !ok {
			order = append(order, tk)
		}
		f := frame{t: ft.Time, gt: a.Keypoints}
		if dt, ok := byKey[key{a.ImageID, a.TrackID}]; ok {
			if len(dt) != len(a.Keypoints) {
				return TemporalMetrics{}, fmt.Errorf("temporal metrics: image %d track %d: result has %d values, annotation %d", a.ImageID, a.TrackID, len(dt), len(a.Keypoints))
			}
			f.dt = dt
		}
		tracks[tk] = append(tracks[tk], f)
	}
	var m TemporalMetrics
	weight, motionWeight := 0.0, 0.0
	for _, tk := range order {
		fr := tracks[tk]
		sort.SliceStable(fr, func(i, j int) bool { return fr[i].t < fr[j].t })
		ts := make([]float64, len(fr))
		for i := range fr {
			ts[i] = fr[i].t
		}
		rate := medianRate(ts)
		if !(rate > 0) || math.IsInf(rate, 0) {
			continue
		}
		for j := 0; j < len(fr[0].gt)/3; j++ {
			usable := func(f frame) bool { return f.dt != nil && f.gt[3*j+2] > 0 && f.dt[3*j+2] > 0 }
			start := 0
			for i := 0; i <= len(fr); i++ {
				if i < len(fr) && usable(fr[i]) && (i == start || fr[i].t-fr[i-1].t <= 1.5/rate) {
					continue
				}
				if run := fr[start:i]; len(run) >= minFrames {
					est, truth := make([][]float64, len(run)), make([][]float64, len(run))
					motion := 0.0
					for n, f := range run {
						est[n] = []float64{f.dt[3*j], f.dt[3*j+1]}
						truth[n] = []float64{f.gt[3*j], f.gt[3*j+1]}
						if n > 0 {
							dx, dy := truth[n][0]-truth[n-1][0], truth[n][1]-truth[n-1][1]
							motion += dx*dx + dy*dy
						}
					}
					acc, err1 := AccelError(est, truth, 2)
					hf, err2 := HighFreqRMS(est, truth, rate, rate/4)
					lag, err3 := Lag(est, truth, max(1, min(10, len(run)/4-1)))
					rmse, err4 := RMSE(est, truth)
					for _, err := range []error{err1, err2, err3, err4} {
						if err != nil {
							return TemporalMetrics{}, fmt.Errorf("temporal metrics: sequence %d track %d joint %d: %w", tk[0], tk[1], j, err)
						}
					}
					w := float64(len(run))
					m.AccelError += w * acc
					m.HighFreqRMS += w * hf * hf
					m.RMSE += w * rmse * rmse
					m.Rate += w * rate
					m.Lag += motion * lag
					weight += w
					motionWeight += motion
					m.Runs++
					m.Frames += len(run)
				}
				start = i
				if i < len(fr) && !usable(fr[i]) {
					start = i + 1
				}
			}
		}
	}
	if weight == 0 {
		return m, fmt.Errorf("temporal metrics: no joint with %d consecutive labelled and detected frames", minFrames)
	}
	m.AccelError /= weight
	m.HighFreqRMS = math.Sqrt(m.HighFreqRMS / weight)
	m.RMSE = math.Sqrt(m.RMSE / weight)
	m.Rate /= weight
	if motionWeight > 0 {
		m.Lag /= motionWeight
	}
	return m, nil
}

// NoisyResults simulates a detector on tracked ground truth: one result per annotation with a
// track id, its labelled keypoints moved by Gaussian noise of standard deviation sigma pixels
// (score 1), its unlabelled ones left at the annotation's values with score 0. The same seed
// gives the same results.
func NoisyResults(gt *dataset.Dataset, sigma float64, seed uint64) ([]dataset.Result, error) {
	if !(sigma >= 0) || math.IsInf(sigma, 0) {
		return nil, fmt.Errorf("noisy results: sigma %v must be finite and ≥ 0", sigma)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	var out []dataset.Result
	for _, a := range gt.Annotations {
		if a.TrackID == 0 || len(a.Keypoints)%3 != 0 {
			continue
		}
		kp := make([]float64, len(a.Keypoints))
		for j := 0; j+2 < len(kp); j += 3 {
			kp[j], kp[j+1] = a.Keypoints[j], a.Keypoints[j+1]
			if a.Keypoints[j+2] > 0 {
				kp[j] += sigma * rng.NormFloat64()
				kp[j+1] += sigma * rng.NormFloat64()
				kp[j+2] = 1
			}
		}
		out = append(out, dataset.Result{ImageID: a.ImageID, CategoryID: a.CategoryID, Keypoints: kp, Score: 1, TrackID: a.TrackID})
	}
	return out, nil
}

// WriteTemporalTable prints raw and smoothed temporal metrics side by side as Markdown.
func WriteTemporalTable(w io.Writer, raw, smoothed TemporalMetrics) error {
	rate := smoothed.Rate
	ratio := func(a, b float64) string {
		if b == 0 {
			return ""
		}
		return fmt.Sprintf("%.1f×", a/b)
	}
	_, err := fmt.Fprintf(w, `%d joint trajectories, %d joint-frames

| metric | input | smoothed | ratio |
|---|---|---|---|
| acceleration error (px/frame²) | %.3f | %.3f | %s |
| error RMS above a quarter of the frame rate (px) | %.3f | %.3f | %s |
| RMSE (px) | %.3f | %.3f | %s |
| lag (frames) | %.2f | %.2f | |
| lag (ms at %.0f fps) | %.1f | %.1f | |
`, smoothed.Runs, smoothed.Frames,
		raw.AccelError, smoothed.AccelError, ratio(raw.AccelError, smoothed.AccelError),
		raw.HighFreqRMS, smoothed.HighFreqRMS, ratio(raw.HighFreqRMS, smoothed.HighFreqRMS),
		raw.RMSE, smoothed.RMSE, ratio(raw.RMSE, smoothed.RMSE),
		raw.Lag, smoothed.Lag, rate, 1000*raw.Lag/rate, 1000*smoothed.Lag/rate)
	return err
}
