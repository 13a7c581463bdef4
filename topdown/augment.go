package topdown

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/posedistill/posedistill/skeleton"
)

// Augment configures the random augmentation of training crops. DefaultAugment gives MMPose's
// COCO top-down defaults (RandomFlip, RandomHalfBody, RandomBBoxTransform).
type Augment struct {
	// FlipProb is the probability of a horizontal flip (left/right joints swap).
	FlipProb float64
	// HalfBodyProb is the probability of cropping only the upper or the lower body, for instances
	// with at least HalfBodyMinJoints labelled joints; the half box is the joints' extent grown to
	// the input aspect and enlarged by HalfBodyPadding.
	HalfBodyProb      float64
	HalfBodyMinJoints int
	HalfBodyPadding   float64
	// ShiftProb is the probability of moving the box centre by up to ShiftFactor times its size.
	ShiftProb, ShiftFactor float64
	// ScaleProb is the probability of scaling the box by a truncated normal factor in
	// [ScaleMin, ScaleMax].
	ScaleProb, ScaleMin, ScaleMax float64
	// RotateProb is the probability of rotating by a truncated normal angle in ±RotateFactor degrees.
	RotateProb, RotateFactor float64
	// Color, when set, jitters brightness, contrast and saturation.
	Color *ColorJitter
}

// ColorJitter draws brightness, contrast and saturation factors uniformly in [1-v, 1+v].
type ColorJitter struct {
	Brightness, Contrast, Saturation float64
}

// DefaultAugment returns MMPose's COCO top-down augmentation: flip 0.5, half body 0.3 (≥ 9
// joints, padding 1.5), shift ±16% with probability 0.3, scale 0.5–1.5, rotation ±80° with
// probability 0.6, no colour jitter.
func DefaultAugment() Augment {
	return Augment{
		FlipProb:     0.5,
		HalfBodyProb: 0.3, HalfBodyMinJoints: 9, HalfBodyPadding: 1.5,
		ShiftProb: 0.3, ShiftFactor: 0.16,
		ScaleProb: 1, ScaleMin: 0.5, ScaleMax: 1.5,
		RotateProb: 0.6, RotateFactor: 80,
	}
}

// Validate reports whether the augmentation's values are usable.
func (a *Augment) Validate() error {
	probs := []float64{a.FlipProb, a.HalfBodyProb, a.ShiftProb, a.ScaleProb, a.RotateProb}
	for _, p := range probs {
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("topdown: augment: probability %v outside [0, 1]", p)
		}
	}
	if a.ScaleProb > 0 && !(a.ScaleMin > 0 && a.ScaleMax >= a.ScaleMin) {
		return fmt.Errorf("topdown: augment: scale range [%v, %v] invalid", a.ScaleMin, a.ScaleMax)
	}
	if a.HalfBodyProb > 0 && !(a.HalfBodyPadding > 0) {
		return fmt.Errorf("topdown: augment: half-body padding %v must be positive", a.HalfBodyPadding)
	}
	if c := a.Color; c != nil {
		for _, v := range []float64{c.Brightness, c.Contrast, c.Saturation} {
			if !(v >= 0 && v <= 1) {
				return fmt.Errorf("topdown: augment: colour jitter %v outside [0, 1]", v)
			}
		}
	}
	return nil
}

// draw is one sample's augmentation.
type draw struct {
	box                              Box
	rot                              float64
	flip                             bool
	brightness, contrast, saturation float64 // 1 = unchanged
}

// truncNormal returns a standard normal value truncated to [-1, 1].
func truncNormal(rng *rand.Rand) float64 {
	for {
		if z := rng.NormFloat64(); z >= -1 && z <= 1 {
			return z
		}
	}
}

// sample draws the augmentation of one instance whose box is b; kps are the instance's joints in
// image pixels (x, y, v triplets), lower marks the lower-body joints, aspect is the input w/h.
func (a *Augment) sample(rng *rand.Rand, b Box, kps []float64, lower []bool, aspect float64) draw {
	d := draw{box: b, brightness: 1, contrast: 1, saturation: 1}
	d.flip = rng.Float64() < a.FlipProb
	if rng.Float64() < a.HalfBodyProb {
		if hb, ok := halfBody(rng, kps, lower, a.HalfBodyMinJoints, aspect, a.HalfBodyPadding); ok {
			d.box = hb
		}
	}
	if rng.Float64() < a.ShiftProb {
		d.box.CX += (2*rng.Float64() - 1) * a.ShiftFactor * d.box.W
		d.box.CY += (2*rng.Float64() - 1) * a.ShiftFactor * d.box.H
	}
	if rng.Float64() < a.ScaleProb {
		mu, sigma := (a.ScaleMax+a.ScaleMin)/2, (a.ScaleMax-a.ScaleMin)/2
		s := truncNormal(rng)*sigma + mu
		d.box.W *= s
		d.box.H *= s
	}
	if rng.Float64() < a.RotateProb {
		d.rot = truncNormal(rng) * a.RotateFactor
	}
	if c := a.Color; c != nil {
		d.brightness = 1 + c.Brightness*(2*rng.Float64()-1)
		d.contrast = 1 + c.Contrast*(2*rng.Float64()-1)
		d.saturation = 1 + c.Saturation*(2*rng.Float64()-1)
	}
	return d
}

// halfBody returns the box of the upper or lower body's labelled joints (upper with probability
// 0.5 when it has at least two joints), or false when the instance has fewer than minJoints
// labelled joints or the chosen half fewer than two.
func halfBody(rng *rand.Rand, kps []float64, lower []bool, minJoints int, aspect, padding float64) (Box, bool) {
	var up, lo [][2]float64
	for j := 0; j < len(lower) && 3*j+2 < len(kps); j++ {
		if kps[3*j+2] <= 0 {
			continue
		}
		p := [2]float64{kps[3*j], kps[3*j+1]}
		if lower[j] {
			lo = append(lo, p)
		} else {
			up = append(up, p)
		}
	}
	if len(up)+len(lo) < minJoints {
		return Box{}, false
	}
	sel := lo
	if (rng.Float64() < 0.5 && len(up) >= 2) || len(lo) < 2 {
		sel = up
	}
	if len(sel) < 2 {
		return Box{}, false
	}
	x0, y0 := math.Inf(1), math.Inf(1)
	x1, y1 := math.Inf(-1), math.Inf(-1)
	var cx, cy float64
	for _, p := range sel {
		x0, x1 = min(x0, p[0]), max(x1, p[0])
		y0, y1 = min(y0, p[1]), max(y1, p[1])
		cx += p[0]
		cy += p[1]
	}
	n := float64(len(sel))
	b := Box{CX: cx / n, CY: cy / n, W: x1 - x0, H: y1 - y0}.WithAspect(aspect)
	b.W *= padding
	b.H *= padding
	if !(b.W > 0 && b.H > 0) {
		return Box{}, false
	}
	return b, true
}

// LowerBody marks the joints of a set that belong to the lower body (hips and below), by name.
func LowerBody(s *skeleton.Set) []bool {
	out := make([]bool, s.NumJoints())
	for i, n := range s.Joints {
		for _, part := range []string{"hip", "knee", "ankle", "heel", "foot", "pelvis"} {
			if strings.Contains(n, part) {
				out[i] = true
			}
		}
	}
	return out
}

// jitterColor applies brightness, contrast and saturation factors to raw 0–255 RGB values.
func jitterColor(pix []float32, d draw) {
	if d.brightness == 1 && d.contrast == 1 && d.saturation == 1 {
		return
	}
	b := float32(d.brightness)
	var mean float64
	for i := 0; i+2 < len(pix); i += 3 {
		mean += float64(0.299*pix[i] + 0.587*pix[i+1] + 0.114*pix[i+2])
	}
	m := float32(mean/float64(len(pix)/3)) * b
	c, s := float32(d.contrast), float32(d.saturation)
	for i := 0; i+2 < len(pix); i += 3 {
		p := pix[i : i+3 : i+3]
		r, g, bl := p[0]*b, p[1]*b, p[2]*b
		r, g, bl = m+(r-m)*c, m+(g-m)*c, m+(bl-m)*c
		gray := 0.299*r + 0.587*g + 0.114*bl
		p[0] = clamp255(gray + (r-gray)*s)
		p[1] = clamp255(gray + (g-gray)*s)
		p[2] = clamp255(gray + (bl-gray)*s)
	}
}

func clamp255(v float32) float32 { return min(max(v, 0), 255) }
