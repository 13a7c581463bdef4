package codec

import (
	"fmt"
	"math"
)

// PairSeparation configures SeparatePairs. The zero value disables it.
type PairSeparation struct {
	// MinRatio is the least ratio of a channel's second peak to its maximum for that peak to be
	// taken instead of a maximum shared with the opposite side's channel; 0 disables separation.
	MinRatio float64
}

// Enabled reports whether p separates anything.
func (p PairSeparation) Enabled() bool { return p.MinRatio > 0 }

// Validate reports whether p is usable.
func (p PairSeparation) Validate() error {
	if !(p.MinRatio >= 0 && p.MinRatio <= 1) {
		return fmt.Errorf("codec: pair separation ratio %v outside [0, 1]", p.MinRatio)
	}
	return nil
}

// SeparatePairs re-decodes the left/right pairs of preds (decoded by Decode from the same [h, w, K]
// heatmaps) whose two channels peak on the same spot: both ankles on one foot, the commonest
// left/right error of a small network, which leaves one of the two joints on the wrong limb.
//
// Two channels peak on the same spot when their integer maxima lie within 2σ heatmap pixels. Each
// channel's second peak is then its largest local maximum farther than 2.5σ from that spot. Of the
// two ways to move one joint of the pair to its second peak, the one with the larger summed
// heatmap value is taken, provided the moved channel's second peak reaches p.MinRatio of its
// maximum: a channel with no second peak of its own, as when the two joints truly coincide (the
// hips of a person seen in profile), keeps its maximum. flip maps each joint to its mirror joint
// (skeleton.Set.FlipIndex); joints that are their own mirror are left alone. An Integral codec's
// predictions are returned unchanged.
func (c *Codec) SeparatePairs(heatmaps []float32, k int, preds []Prediction, flip []int, p PairSeparation) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if !p.Enabled() || c.Kind == Integral {
		return nil
	}
	if k <= 0 || len(heatmaps) != c.NumHeatPixels()*k || len(preds) != k || len(flip) != k {
		return fmt.Errorf("codec: separate pairs: %d heatmap values, %d predictions and %d mirror joints for %d joints of %dx%d",
			len(heatmaps), len(preds), len(flip), k, c.HeatH, c.HeatW)
	}
	d := c.newDecoder(heatmaps, k)
	same, apart := 2*c.Sigma, 2.5*c.Sigma
	for j, o := range flip {
		if o <= j || o >= k {
			continue
		}
		a, b := preds[j], preds[o]
		if math.IsInf(a.Score, -1) || math.IsInf(b.Score, -1) ||
			math.Hypot(float64(a.HX-b.HX), float64(a.HY-b.HY)) > same {
			continue
		}
		// The shared spot is the pair's stronger maximum.
		sx, sy := a.HX, a.HY
		if b.Score > a.Score {
			sx, sy = b.HX, b.HY
		}
		ja, va := d.secondPeak(j, sx, sy, apart)
		jb, vb := d.secondPeak(o, sx, sy, apart)
		moveA := ja >= 0 && va >= p.MinRatio*a.Score
		moveB := jb >= 0 && vb >= p.MinRatio*b.Score
		if moveA && moveB {
			// Keep the assignment with the larger sum: a's second peak with b's maximum, or the reverse.
			moveA = va+b.Score > a.Score+vb
			moveB = !moveA
		}
		switch {
		case moveA:
			preds[j] = d.refineJoint(j, ja, va)
		case moveB:
			preds[o] = d.refineJoint(o, jb, vb)
		}
	}
	return nil
}

// secondPeak returns the pixel index and value of joint j's largest local maximum farther than r
// heatmap pixels from (sx, sy), or -1 when it has none above zero.
func (d *decoder) secondPeak(j, sx, sy int, r float64) (int, float64) {
	w, h := d.c.HeatW, d.c.HeatH
	best, at := 0.0, -1
	for y := range h {
		for x := range w {
			v := d.value(j, x, y)
			if !(v > best) || math.Hypot(float64(x-sx), float64(y-sy)) <= r || !d.localMax(j, x, y, v) {
				continue
			}
			best, at = v, y*w+x
		}
	}
	return at, best
}

// localMax reports whether v, joint j's value at (x, y), is at least each of its 8 neighbours'.
func (d *decoder) localMax(j, x, y int, v float64) bool {
	w, h := d.c.HeatW, d.c.HeatH
	for ny := max(y-1, 0); ny <= min(y+1, h-1); ny++ {
		for nx := max(x-1, 0); nx <= min(x+1, w-1); nx++ {
			if d.value(j, nx, ny) > v {
				return false
			}
		}
	}
	return true
}
