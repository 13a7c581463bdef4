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
	// Runs counts the evaluated stretches of consecutive frames of one track; Frames their
	// frames; Joints the joint trajectories (a joint counts once per run).
	Runs, Frames, Joints int
	// AccelError is the mean acceleration error (pixels per frame²), HighFreqRMS the error RMS
	// above a quarter of the frame rate (pixels), Lag the delay in frames and RMSE the plain
	// error (pixels), each averaged over runs weighted by frames × joints.
	AccelError, HighFreqRMS, Lag, RMSE float64
}

// EvaluateTemporal compares results with the ground-truth annotations of gt over time. Each
// annotation with a track id is matched to the result of the same image and track id. A track is
// cut into runs wherever its result is missing or two frames are more than 1.5 median steps
// apart; runs shorter than minFrames (at least 8) are skipped, and within a run only joints
// labelled in the ground truth (v > 0) and scored above 0 in every frame are measured.
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
	weight := 0.0
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
		start := 0
		for i := 0; i <= len(fr); i++ {
			cut := i == len(fr) || fr[i].dt == nil || (i > start && fr[i].t-fr[i-1].t > 1.5/rate)
			if !cut {
				continue
			}
			if run := fr[start:i]; len(run) >= minFrames && run[0].dt != nil {
				est, truth := make([][]float64, len(run)), make([][]float64, len(run))
				joints := labelledThroughout(run[0].gt, func(yield func(gt, dt []float64) bool) {
					for _, f := range run {
						if !yield(f.gt, f.dt) {
							return
						}
					}
				})
				if len(joints) > 0 {
					for n, f := range run {
						for _, j := range joints {
							est[n] = append(est[n], f.dt[3*j], f.dt[3*j+1])
							truth[n] = append(truth[n], f.gt[3*j], f.gt[3*j+1])
						}
					}
					acc, err1 := AccelError(est, truth, 2)
					hf, err2 := HighFreqRMS(est, truth, rate, rate/4)
					lag, err3 := Lag(est, truth, max(1, min(10, len(run)/4-1)))
					rmse, err4 := RMSE(est, truth)
					for _, err := range []error{err1, err2, err3, err4} {
						if err != nil {
							return TemporalMetrics{}, fmt.Errorf("temporal metrics: sequence %d track %d: %w", tk[0], tk[1], err)
						}
					}
					w := float64(len(run) * len(joints))
					m.AccelError += w * acc
					m.HighFreqRMS += w * hf * hf
					m.Lag += w * lag
					m.RMSE += w * rmse * rmse
					weight += w
					m.Runs++
					m.Frames += len(run)
					m.Joints += len(joints)
				}
			}
			start = i
			if i < len(fr) && fr[i].dt == nil {
				start = i + 1
			}
		}
	}
	if weight == 0 {
		return m, fmt.Errorf("temporal metrics: no track with %d consecutive matched frames", minFrames)
	}
	m.AccelError /= weight
	m.HighFreqRMS = math.Sqrt(m.HighFreqRMS / weight)
	m.Lag /= weight
	m.RMSE = math.Sqrt(m.RMSE / weight)
	return m, nil
}

// labelledThroughout returns the joints labelled (v > 0) and scored (> 0) in every frame.
func labelledThroughout(first []float64, frames func(func(gt, dt []float64) bool)) []int {
	ok := make([]bool, len(first)/3)
	for j := range ok {
		ok[j] = true
	}
	for gt, dt := range frames {
		for j := range ok {
			if gt[3*j+2] <= 0 || !(dt[3*j+2] > 0) {
				ok[j] = false
			}
		}
	}
	var joints []int
	for j, k := range ok {
		if k {
			joints = append(joints, j)
		}
	}
	return joints
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
func WriteTemporalTable(w io.Writer, raw, smoothed TemporalMetrics, rate float64) error {
	ratio := func(a, b float64) string {
		if b == 0 {
			return ""
		}
		return fmt.Sprintf("%.1f×", a/b)
	}
	_, err := fmt.Fprintf(w, `%d runs, %d frames, %d joint trajectories

| metric | input | smoothed | ratio |
|---|---|---|---|
| acceleration error (px/frame²) | %.3f | %.3f | %s |
| error RMS above a quarter of the frame rate (px) | %.3f | %.3f | %s |
| RMSE (px) | %.3f | %.3f | %s |
| lag (frames) | %.2f | %.2f | |
| lag (ms at %.0f fps) | %.1f | %.1f | |
`, smoothed.Runs, smoothed.Frames, smoothed.Joints,
		raw.AccelError, smoothed.AccelError, ratio(raw.AccelError, smoothed.AccelError),
		raw.HighFreqRMS, smoothed.HighFreqRMS, ratio(raw.HighFreqRMS, smoothed.HighFreqRMS),
		raw.RMSE, smoothed.RMSE, ratio(raw.RMSE, smoothed.RMSE),
		raw.Lag, smoothed.Lag, rate, 1000*raw.Lag/rate, 1000*smoothed.Lag/rate)
	return err
}
