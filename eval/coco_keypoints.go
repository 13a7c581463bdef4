package eval

import (
	"fmt"
	"io"
	"math"
)

// COCOKeypointError summarizes how well one keypoint is localized over the matched pairs of an
// evaluation: detections matched to a non-ignored, keypoint-labelled ground truth at OKS 0.5 in
// the "all" area range (the first threshold and range when p lacks those), counting the ground
// truth's labelled (v > 0) instances of the keypoint.
type COCOKeypointError struct {
	// Name is the keypoint's name.
	Name string
	// Count is the number of labelled instances of the keypoint in the matched pairs.
	Count int
	// MeanError is the mean distance between detection and ground truth divided by the person's
	// scale s = sqrt(area): 0.1 means a tenth of the person's size.
	MeanError float64
	// MeanSimilarity is the mean of the keypoint's OKS term exp(-d²/(2·s²·(2σ)²)) (1 = exact).
	MeanSimilarity float64
}

// cocoKeypointErrors computes the per-keypoint diagnostics from evaluated cells and counts the
// matched pairs they come from.
func cocoKeypointErrors(idx *cocoIndex, p COCOParams) ([]COCOKeypointError, int) {
	K := p.numKeypoints()
	t := 0
	for i, thr := range p.OKSThresholds {
		if thr == 0.5 {
			t = i
			break
		}
	}
	a := 0
	for i, r := range p.AreaRanges {
		if r.Label == "all" {
			a = i
			break
		}
	}
	vars := newCOCOOKSComputer(p.Sigmas).vars
	errSum := make([]float64, K)
	simSum := make([]float64, K)
	count := make([]int, K)
	pairs := 0
	for _, c := range idx.cells {
		ev := &c.evals[a]
		d := len(c.dts)
		for di := range c.dts {
			m := ev.dtGT[t*d+di]
			if m < 0 || ev.gtIgnore[m] {
				continue
			}
			gt := &c.gts[ev.gtOrder[m]]
			if gt.labeled == 0 || !(gt.area > 0) {
				continue
			}
			pairs++
			dt := c.dts[di].kps
			for k := 0; k < K; k++ {
				if !(gt.kps[3*k+2] > 0) {
					continue
				}
				dx, dy := dt[3*k]-gt.kps[3*k], dt[3*k+1]-gt.kps[3*k+1]
				d2 := dx*dx + dy*dy
				errSum[k] += math.Sqrt(d2 / gt.area)
				simSum[k] += math.Exp(-d2 / vars[k] / (gt.area + cocoEps) / 2)
				count[k]++
			}
		}
	}
	out := make([]COCOKeypointError, K)
	for k := range out {
		out[k] = COCOKeypointError{Name: p.keypointName(k), Count: count[k]}
		if count[k] > 0 {
			out[k].MeanError = errSum[k] / float64(count[k])
			out[k].MeanSimilarity = simSum[k] / float64(count[k])
		}
	}
	return out, pairs
}

// WriteCOCOKeypointTable writes the per-keypoint diagnostics as an aligned text table.
func WriteCOCOKeypointTable(w io.Writer, rows []COCOKeypointError) error {
	width := len("keypoint")
	for _, r := range rows {
		width = max(width, len(r.Name))
	}
	if _, err := fmt.Fprintf(w, "%-*s  %7s  %12s  %8s\n", width, "keypoint", "matched", "error/scale", "OKS term"); err != nil {
		return err
	}
	for _, r := range rows {
		errS, simS := "-", "-"
		if r.Count > 0 {
			errS, simS = fmt.Sprintf("%.4f", r.MeanError), fmt.Sprintf("%.4f", r.MeanSimilarity)
		}
		if _, err := fmt.Fprintf(w, "%-*s  %7d  %12s  %8s\n", width, r.Name, r.Count, errS, simS); err != nil {
			return err
		}
	}
	return nil
}
