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
// the channel holds a gaussian of peak 1 truncated to the window (a joint slightly outside the map
// keeps the part of its gaussian that falls inside, as in MMPose).
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
	r := c.radius()
	gx := make([]float64, 2*r+1)
	gy := make([]float64, 2*r+1)
	inv2s2 := 1 / (2 * c.Sigma * c.Sigma)
	for j, kp := range kps {
		weights[j] = 0
		if !(kp.V > 0) || !finite(kp.X) || !finite(kp.Y) {
			continue
		}
		hx, hy := c.InputToHeatmap(kp.X, kp.Y)
		mx, my := math.Floor(hx+0.5), math.Floor(hy+0.5)
		// Reject before converting to int: far-away points would overflow.
		if mx-float64(r) >= float64(c.HeatW) || my-float64(r) >= float64(c.HeatH) ||
			mx+float64(r) < 0 || my+float64(r) < 0 {
			continue
		}
		cx, cy := hx, hy
		if c.Kind == MSRA {
			cx, cy = mx, my
		}
		ix, iy := int(mx), int(my)
		for d := -r; d <= r; d++ {
			dx := float64(ix+d) - cx
			dy := float64(iy+d) - cy
			gx[d+r] = math.Exp(-dx * dx * inv2s2)
			gy[d+r] = math.Exp(-dy * dy * inv2s2)
		}
		x0, x1 := max(ix-r, 0), min(ix+r, c.HeatW-1)
		y0, y1 := max(iy-r, 0), min(iy+r, c.HeatH-1)
		for y := y0; y <= y1; y++ {
			row := gy[y-iy+r]
			base := y * c.HeatW
			for x := x0; x <= x1; x++ {
				heatmaps[(base+x)*k+j] = float32(row * gx[x-ix+r])
			}
		}
		weights[j] = 1
	}
	return nil
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
