package eval

import "math"

// cocoOKSComputer computes object keypoint similarity exactly as pycocotools' computeOks.
type cocoOKSComputer struct {
	vars []float64 // (2σ)² per keypoint
	buf  []float64 // scratch: e, then exp(-e), per counted keypoint
	// skipBelow, when positive, lets oks return cocoOKSSkipped instead of the exact value for
	// pairs whose OKS is surely below it (matching never looks at such values).
	skipBelow float64
}

// cocoOKSSkipped marks an OKS entry that was not computed because it is surely below every
// matching threshold; the exact value is computed again when someone asks for it.
const cocoOKSSkipped = -1

// cocoSkipBelow returns the OKS under which a pair can never be matched with thresholds ts (the
// matching loop starts from min(t, 1-1e-10)), lowered by a safety margin, or 0 when no value can
// be skipped.
func cocoSkipBelow(ts []float64) float64 {
	floor := math.Inf(1)
	for _, t := range ts {
		floor = min(floor, t, 1-1e-10)
	}
	if !(floor > 1e-6) || math.IsInf(floor, 1) {
		return 0
	}
	return floor * (1 - 1e-9)
}

func newCOCOOKSComputer(sigmas []float64) *cocoOKSComputer {
	vars := make([]float64, len(sigmas))
	for i, s := range sigmas {
		d := s * 2
		vars[i] = d * d
	}
	return &cocoOKSComputer{vars: vars, buf: make([]float64, len(sigmas))}
}

// matrix fills c.oks with the D×G OKS matrix (row-major, detections in score order, ground truth
// in file order), or leaves it nil when the cell has no detection or no ground truth (pycocotools
// returns [] then).
func (o *cocoOKSComputer) matrix(c *cocoCell) {
	d, g := len(c.dts), len(c.gts)
	if d == 0 || g == 0 {
		c.oks = nil
		return
	}
	c.oks = make([]float64, d*g)
	for j := range c.gts {
		for i := range c.dts {
			c.oks[i*g+j] = o.oks(&c.gts[j], c.dts[i].kps)
		}
	}
}

// oks returns the similarity of detection keypoints dt (x, y, score per keypoint) to gt:
// the mean of exp(-d²/(2·s²·(2σ)²)) over gt's labelled keypoints (v > 0), with s² = area + eps.
// A gt without labelled keypoints compares every detected keypoint with the gt box grown by its
// own size on every side ([x-w, x+2w] × [y-h, y+2h]): distance 0 inside it. The explicit float64
// conversions forbid fused multiply-add, which would change the last bit. With skipBelow set it
// returns cocoOKSSkipped for pairs whose OKS is surely below skipBelow.
func (o *cocoOKSComputer) oks(gt *cocoGT, dt []float64) float64 {
	denom := gt.area + cocoEps
	n := 0
	if gt.labeled > 0 {
		for k, v := range o.vars {
			if !(gt.kps[3*k+2] > 0) {
				continue
			}
			dx := dt[3*k] - gt.kps[3*k]
			dy := dt[3*k+1] - gt.kps[3*k+1]
			o.buf[n] = (float64(dx*dx) + float64(dy*dy)) / v / denom / 2
			n++
		}
	} else {
		bb := gt.bbox
		x0, x1 := bb[0]-bb[2], bb[0]+bb[2]*2
		y0, y1 := bb[1]-bb[3], bb[1]+bb[3]*2
		for k, v := range o.vars {
			xd, yd := dt[3*k], dt[3*k+1]
			dx := max(0, x0-xd) + max(0, xd-x1)
			dy := max(0, y0-yd) + max(0, yd-y1)
			o.buf[n] = (float64(dx*dx) + float64(dy*dy)) / v / denom / 2
			n++
		}
	}
	e := o.buf[:n]
	if o.skipBelow > 0 {
		// exp(-e) <= 1/(1+e): when even that bound averages below skipBelow, so does the OKS.
		bound := 0.0
		for _, x := range e {
			bound += 1 / (1 + x)
		}
		if bound/float64(n) < o.skipBelow {
			return cocoOKSSkipped
		}
	}
	for i, x := range e {
		e[i] = math.Exp(-x)
	}
	return cocoPairwiseSum(e) / float64(n)
}

// cocoPairwiseSum adds a the way numpy's np.sum does for a contiguous float64 array (pairwise
// summation with 8 accumulators in blocks of up to 128), so that sums agree to the last bit.
func cocoPairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		res := 0.0
		for _, v := range a {
			res += v
		}
		return res
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			r[0] += a[i]
			r[1] += a[i+1]
			r[2] += a[i+2]
			r[3] += a[i+3]
			r[4] += a[i+4]
			r[5] += a[i+5]
			r[6] += a[i+6]
			r[7] += a[i+7]
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += a[i]
		}
		return res
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return cocoPairwiseSum(a[:n2]) + cocoPairwiseSum(a[n2:])
	}
}
