package smooth

import (
	"fmt"
	"math"
)

// checkPair verifies that est and truth are sequences of the same shape: the same number of
// frames, each frame a vector of the same length (a multiple of dim when dim > 0).
func checkPair(est, truth [][]float64, dim, minFrames int) error {
	if len(est) != len(truth) {
		return fmt.Errorf("estimate has %d frames, truth %d", len(est), len(truth))
	}
	if len(est) < minFrames {
		return fmt.Errorf("%d frames, need at least %d", len(est), minFrames)
	}
	n := len(truth[0])
	if n == 0 {
		return fmt.Errorf("frame 0 is empty")
	}
	if dim > 0 && n%dim != 0 {
		return fmt.Errorf("frame size %d is not a multiple of dim %d", n, dim)
	}
	for i := range est {
		if len(est[i]) != n || len(truth[i]) != n {
			return fmt.Errorf("frame %d: sizes %d and %d, want %d", i, len(est[i]), len(truth[i]), n)
		}
	}
	return nil
}

// AccelError returns the mean acceleration error: the mean, over interior frames t and joints,
// of the Euclidean norm of (e[t+1] - 2e[t] + e[t-1]) where e = est - truth, in signal units per
// frame². A frame is a vector of dim coordinates per joint. It is the standard temporal jitter
// measure of video pose estimation: zero for an estimate that is the truth plus any constant or
// linear drift, and large for frame-to-frame shaking.
func AccelError(est, truth [][]float64, dim int) (float64, error) {
	if dim <= 0 {
		return 0, fmt.Errorf("accel error: dim %d must be positive", dim)
	}
	if err := checkPair(est, truth, dim, 3); err != nil {
		return 0, fmt.Errorf("accel error: %w", err)
	}
	n := len(truth[0])
	sum := 0.0
	for t := 1; t+1 < len(est); t++ {
		for j := 0; j < n; j += dim {
			ss := 0.0
			for c := j; c < j+dim; c++ {
				a := (est[t+1][c] - truth[t+1][c]) - 2*(est[t][c]-truth[t][c]) + (est[t-1][c] - truth[t-1][c])
				ss += a * a
			}
			sum += math.Sqrt(ss)
		}
	}
	return sum / float64((len(est)-2)*(n/dim)), nil
}

// hfSegment is the segment length of HighFreqRMS's spectral estimate.
const hfSegment = 256

// HighFreqRMS returns the root-mean-square of the part of the error est - truth above cutoff
// Hz, for frames sampled at rate Hz: the high-frequency energy of the error, in signal units.
// Each coordinate's error is cut into consecutive segments of min(frames, 256) samples (a
// trailing partial segment is ignored), each segment's mean is removed, and the power of the
// discrete Fourier bins above cutoff is summed (Parseval: for a segment of L samples, mean
// square = Σ|E_k|²/L²). The result averages that power over segments and coordinates.
func HighFreqRMS(est, truth [][]float64, rate, cutoff float64) (float64, error) {
	if !(rate > 0) || !(cutoff >= 0) || cutoff >= rate/2 {
		return 0, fmt.Errorf("high-frequency error: need rate > 0 and 0 ≤ cutoff < rate/2, got %v and %v", rate, cutoff)
	}
	if err := checkPair(est, truth, 0, 4); err != nil {
		return 0, fmt.Errorf("high-frequency error: %w", err)
	}
	L := min(len(est), hfSegment)
	cosT, sinT := make([]float64, L), make([]float64, L)
	for k := range cosT {
		cosT[k] = math.Cos(2 * math.Pi * float64(k) / float64(L))
		sinT[k] = math.Sin(2 * math.Pi * float64(k) / float64(L))
	}
	var bins []int
	for k := 1; k < L; k++ {
		f := float64(min(k, L-k)) * rate / float64(L)
		if f > cutoff {
			bins = append(bins, k)
		}
	}
	seg := make([]float64, L)
	total, count := 0.0, 0
	for c := range truth[0] {
		for s := 0; s+L <= len(est); s += L {
			mean := 0.0
			for i := range seg {
				seg[i] = est[s+i][c] - truth[s+i][c]
				mean += seg[i]
			}
			mean /= float64(L)
			for i := range seg {
				seg[i] -= mean
			}
			power := 0.0
			for _, k := range bins {
				re, im := 0.0, 0.0
				for i, x := range seg {
					idx := (k * i) % L
					re += x * cosT[idx]
					im -= x * sinT[idx]
				}
				power += re*re + im*im
			}
			total += power / float64(L*L)
			count++
		}
	}
	return math.Sqrt(total / float64(count)), nil
}

// RMSE returns the root-mean-square of est - truth over all frames and coordinates.
func RMSE(est, truth [][]float64) (float64, error) {
	if err := checkPair(est, truth, 0, 1); err != nil {
		return 0, fmt.Errorf("rmse: %w", err)
	}
	ss := 0.0
	for t := range est {
		for c := range est[t] {
			d := est[t][c] - truth[t][c]
			ss += d * d
		}
	}
	return math.Sqrt(ss / float64(len(est)*len(est[0]))), nil
}

// Lag returns the delay, in frames, that best aligns est with truth: the shift k in
// [-maxLag, maxLag] minimising the mean squared distance between est[t] and truth[t-k] over the
// frames where both exist, refined below one frame by a parabola through the best shift and its
// neighbours. A positive lag means est trails truth (as a causal filter's output does). Divide by
// the frame rate for seconds.
func Lag(est, truth [][]float64, maxLag int) (float64, error) {
	if maxLag < 1 {
		return 0, fmt.Errorf("lag: max lag %d must be at least 1", maxLag)
	}
	if err := checkPair(est, truth, 0, 2*maxLag+2); err != nil {
		return 0, fmt.Errorf("lag (max %d frames): %w", maxLag, err)
	}
	mse := make([]float64, 2*maxLag+1)
	best := 0
	for i := range mse {
		k := i - maxLag
		ss, n := 0.0, 0
		for t := max(0, k); t < len(est) && t-k < len(truth); t++ {
			for c := range est[t] {
				d := est[t][c] - truth[t-k][c]
				ss += d * d
			}
			n++
		}
		mse[i] = ss / float64(n)
		if mse[i] < mse[best] {
			best = i
		}
	}
	lag := float64(best - maxLag)
	if best > 0 && best < len(mse)-1 {
		a, b, c := mse[best-1], mse[best], mse[best+1]
		if den := a - 2*b + c; den > 0 {
			lag += 0.5 * (a - c) / den
		}
	}
	return lag, nil
}
