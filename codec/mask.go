package codec

import "fmt"

// EncodeMask downsamples a segmentation mask of the input crop (inW×inH values in [0, 1],
// row-major) to heatmap resolution into out (HeatW×HeatH): each heatmap pixel is the mean of the
// input pixels whose position maps, under the codec's convention, to that heatmap pixel; a
// heatmap pixel no input pixel maps to takes the input pixel nearest to its own position.
func (c *Codec) EncodeMask(mask, out []float32) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if len(mask) != c.InputW*c.InputH {
		return fmt.Errorf("codec: encode mask: mask has %d values, want %dx%d", len(mask), c.InputW, c.InputH)
	}
	if len(out) != c.NumHeatPixels() {
		return fmt.Errorf("codec: encode mask: target has %d values, want %dx%d", len(out), c.HeatW, c.HeatH)
	}
	// Heatmap column of each input column, and row of each input row (-1: outside).
	cols := make([]int, c.InputW)
	for x := range cols {
		hx, _ := c.InputToHeatmap(float64(x), 0)
		cols[x] = roundIn(hx, c.HeatW)
	}
	rows := make([]int, c.InputH)
	for y := range rows {
		_, hy := c.InputToHeatmap(0, float64(y))
		rows[y] = roundIn(hy, c.HeatH)
	}
	count := make([]int32, len(out))
	clear(out)
	for y, hy := range rows {
		if hy < 0 {
			continue
		}
		in := mask[y*c.InputW : (y+1)*c.InputW]
		dst := out[hy*c.HeatW : (hy+1)*c.HeatW]
		cnt := count[hy*c.HeatW : (hy+1)*c.HeatW]
		for x, hx := range cols {
			if hx >= 0 {
				dst[hx] += in[x]
				cnt[hx]++
			}
		}
	}
	for i := range out {
		if count[i] > 0 {
			out[i] /= float32(count[i])
			continue
		}
		x, y := c.HeatmapToInput(float64(i%c.HeatW), float64(i/c.HeatW))
		ix := min(max(int(x+0.5), 0), c.InputW-1)
		iy := min(max(int(y+0.5), 0), c.InputH-1)
		out[i] = mask[iy*c.InputW+ix]
	}
	return nil
}

// roundIn returns v rounded to the nearest integer if that lies in [0, n), else -1.
func roundIn(v float64, n int) int {
	i := int(v + 0.5)
	if v+0.5 < 0 || i >= n {
		return -1
	}
	return i
}
