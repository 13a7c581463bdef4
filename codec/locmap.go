package codec

import (
	"fmt"
	"math"
)

// Location maps (VNect): for each joint k three maps X_k, Y_k, Z_k hold the joint's root-relative
// 3D coordinate; a network predicts them everywhere, and the value is read at the 2D heatmap
// maximum of the joint. A batch of location maps is [N, h, w, 3K] with channel a·K+k for axis a
// (0 = X, 1 = Y, 2 = Z) of joint k, so a head's 3K outputs reshape to [N, h, w, 3, K].
//
// The targets written by EncodeLocations hold the value in a square of LocationRadius pixels
// around the joint's 2D position and 0 elsewhere; as in VNect, the location-map loss should be
// weighted by the joint's ground-truth heatmap, which vanishes outside that square.

// LocationRadius returns the half-size in heatmap pixels of the square in which EncodeLocations
// writes each joint's 3D value: the gaussian's 3σ window, so that every pixel where the heatmap
// target is non-zero carries the value.
func (c *Codec) LocationRadius() int { return c.radius() }

// EncodeLocations writes the location-map targets of the joints into locmaps ([h, w, 3K], K =
// len(kps)) and their weights into weights (length K). kps are the joints' 2D positions in
// input-crop pixels, joints3D their root-relative 3D coordinates. A joint's weight is 0, and its
// maps zero, when it is not labelled (V ≤ 0), a coordinate is not finite, or its 2D position
// rounds to a heatmap pixel outside the map (its value could never be read there).
func (c *Codec) EncodeLocations(kps []Keypoint, joints3D [][3]float64, locmaps, weights []float32) error {
	if err := c.Validate(); err != nil {
		return err
	}
	k := len(kps)
	if len(joints3D) != k {
		return fmt.Errorf("codec: encode locations: %d 3D joints for %d keypoints", len(joints3D), k)
	}
	if n := c.NumHeatPixels() * 3 * k; len(locmaps) != n {
		return fmt.Errorf("codec: encode locations: maps have %d values, want %dx%dx%d = %d",
			len(locmaps), c.HeatH, c.HeatW, 3*k, n)
	}
	if len(weights) != k {
		return fmt.Errorf("codec: encode locations: %d weights for %d keypoints", len(weights), k)
	}
	clear(locmaps)
	r := c.radius()
	ch := 3 * k
	for j, kp := range kps {
		weights[j] = 0
		p := joints3D[j]
		if !(kp.V > 0) || !finite(kp.X) || !finite(kp.Y) || !finite(p[0]) || !finite(p[1]) || !finite(p[2]) {
			continue
		}
		hx, hy := c.InputToHeatmap(kp.X, kp.Y)
		mx, my := math.Floor(hx+0.5), math.Floor(hy+0.5)
		if mx < 0 || my < 0 || mx >= float64(c.HeatW) || my >= float64(c.HeatH) {
			continue
		}
		ix, iy := int(mx), int(my)
		for y := max(iy-r, 0); y <= min(iy+r, c.HeatH-1); y++ {
			for x := max(ix-r, 0); x <= min(ix+r, c.HeatW-1); x++ {
				base := (y*c.HeatW + x) * ch
				for a := range 3 {
					locmaps[base+a*k+j] = float32(p[a])
				}
			}
		}
		weights[j] = 1
	}
	return nil
}

// ReadLocations returns each joint's 3D coordinate read from [h, w, 3K] location maps around the
// joint's integer heatmap maximum (Prediction.HX, HY), K = len(preds): the average of the maps
// over the (2·radius+1)² window there, weighted by the joint's heatmap ([h, w, K]) clamped at 0.
// The network learns the maps only where the GT heatmap is non-zero (EncodeLocations), so the
// pixels around the maximum all carry the value; averaging them cancels part of their noise.
// Radius 0, or a window whose heatmap is nowhere positive, reads the maximum's pixel alone.
func (c *Codec) ReadLocations(locmaps, heatmaps []float32, preds []Prediction, radius int) ([][3]float64, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	k := len(preds)
	if len(locmaps) != c.NumHeatPixels()*3*k {
		return nil, fmt.Errorf("codec: read locations: maps have %d values, want %dx%dx%d",
			len(locmaps), c.HeatH, c.HeatW, 3*k)
	}
	if len(heatmaps) != c.NumHeatPixels()*k {
		return nil, fmt.Errorf("codec: read locations: heatmaps have %d values, want %dx%dx%d",
			len(heatmaps), c.HeatH, c.HeatW, k)
	}
	if radius < 0 {
		return nil, fmt.Errorf("codec: read locations: negative radius %d", radius)
	}
	out := make([][3]float64, k)
	for j, p := range preds {
		if p.HX < 0 || p.HY < 0 || p.HX >= c.HeatW || p.HY >= c.HeatH {
			return nil, fmt.Errorf("codec: read locations: joint %d at (%d, %d) outside %dx%d map",
				j, p.HX, p.HY, c.HeatW, c.HeatH)
		}
		var sum [3]float64
		total := 0.0
		for y := max(p.HY-radius, 0); y <= min(p.HY+radius, c.HeatH-1); y++ {
			for x := max(p.HX-radius, 0); x <= min(p.HX+radius, c.HeatW-1); x++ {
				w := float64(heatmaps[(y*c.HeatW+x)*k+j])
				if !(w > 0) || math.IsInf(w, 1) {
					continue
				}
				base := (y*c.HeatW + x) * 3 * k
				for a := range 3 {
					sum[a] += w * float64(locmaps[base+a*k+j])
				}
				total += w
			}
		}
		if total > 0 {
			for a := range 3 {
				out[j][a] = sum[a] / total
			}
			continue
		}
		base := (p.HY*c.HeatW + p.HX) * 3 * k
		for a := range 3 {
			out[j][a] = float64(locmaps[base+a*k+j])
		}
	}
	return out, nil
}
