package codec

import (
	"fmt"
	"math"
)

// radius returns the half-size, in heatmap pixels, of the window a gaussian is drawn in (3σ).
func (c *Codec) radius() int { return int(math.Ceil(3 * c.Sigma)) }

// Encode writes the gaussian heatmap targets of kps (input-crop pixels) into heatmaps, a [h, w, K]
// slice with K = len(kps), and each joint's target weight into weights (length K).
//
// A joint's weight is 0, and its channel all zeros, when it is not labelled (V ≤ 0), its position
// is not finite, or its 3σ window lies entirely outside the heatmap; otherwise the weight is 1 and
// the channel holds a gaussian of peak 1 truncated to the pixels within ⌈3σ⌉+½ of its centre on
// both axes (a joint slightly outside the map keeps the part of its gaussian that falls inside, as in
// MMPose).
func (c *Codec) Encode(kps []Keypoint, heatmaps, weights []float32) error {
	if err := c.Validate(); err != nil {
		return err
	}
	k := len(kps)
	if n := c.NumHeatPixels() * k; len(heatmaps) != n {
		return fmt.Errorf("codec: encode: heatmaps have %d values, want %dx%dx%d = %d",
			len(heatmaps), c.HeatH, c.HeatW, k, n)
	}
	if len(weights) != k {
		return fmt.Errorf("codec: encode: %d weights for %d keypoints", len(weights), k)
	}
	clear(heatmaps)
	r := float64(c.radius())
	gx := make([]float64, 0, 2*c.radius()+3)
	inv2s2 := 1 / (2 * c.Sigma * c.Sigma)
	for j, kp := range kps {
		weights[j] = 0
		if !(kp.V > 0) || !finite(kp.X) || !finite(kp.Y) {
			continue
		}
		cx, cy := c.InputToHeatmap(kp.X, kp.Y)
		if c.msraTargets() {
			cx, cy = math.Floor(cx+0.5), math.Floor(cy+0.5)
		}
		// The window holds the pixels within r+½ of the centre on both axes: symmetric about the
		// centre, so that the target of a mirrored joint is the mirrored target, and covering the
		// r pixels on each side of the peak pixel that DARK's blur reads.
		fx0, fx1 := math.Max(math.Ceil(cx-r-0.5), 0), math.Min(math.Floor(cx+r+0.5), float64(c.HeatW-1))
		fy0, fy1 := math.Max(math.Ceil(cy-r-0.5), 0), math.Min(math.Floor(cy+r+0.5), float64(c.HeatH-1))
		if !(fx0 <= fx1 && fy0 <= fy1) {
			continue // entirely outside the map
		}
		x0, x1, y0, y1 := int(fx0), int(fx1), int(fy0), int(fy1)
		gx = gx[:0]
		for x := x0; x <= x1; x++ {
			d := float64(x) - cx
			gx = append(gx, math.Exp(-d*d*inv2s2))
		}
		for y := y0; y <= y1; y++ {
			d := float64(y) - cy
			gy := math.Exp(-d * d * inv2s2)
			base := y * c.HeatW
			for x := x0; x <= x1; x++ {
				heatmaps[(base+x)*k+j] = float32(gy * gx[x-x0])
			}
		}
		weights[j] = 1
	}
	return nil
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
