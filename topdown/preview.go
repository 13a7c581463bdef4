package topdown

import (
	"fmt"
	"image"
	"math"
)

// Preview returns a sample's crop as an 8-bit image (normalisation undone) with the maximum over
// joints of its heatmap targets blended in red, each heatmap pixel covering the input pixels
// that map to it: a picture to check that targets sit on the joints.
func (cfg *Config) Preview(s *Sample) (*image.RGBA, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.Codec
	k := cfg.Joints.NumJoints()
	w, h := c.InputW, c.InputH
	if len(s.Image) != 3*w*h || len(s.Heatmaps) != c.NumHeatPixels()*k {
		return nil, fmt.Errorf("topdown: preview: sample has %d image and %d heatmap values, want %d and %d",
			len(s.Image), len(s.Heatmaps), 3*w*h, c.NumHeatPixels()*k)
	}
	peak := make([]float32, c.NumHeatPixels())
	for i := range peak {
		m := float32(0)
		for _, v := range s.Heatmaps[i*k : (i+1)*k] {
			m = max(m, v)
		}
		peak[i] = min(m, 1)
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			hx, hy := c.InputToHeatmap(float64(x), float64(y))
			ix := min(max(int(math.Floor(hx+0.5)), 0), c.HeatW-1)
			iy := min(max(int(math.Floor(hy+0.5)), 0), c.HeatH-1)
			a := 0.7 * peak[iy*c.HeatW+ix]
			src := s.Image[3*(y*w+x):]
			dst := out.Pix[out.PixOffset(x, y):]
			for ch := range 3 {
				v := src[ch]*cfg.Std[ch] + cfg.Mean[ch]
				target := float32(0)
				if ch == 0 {
					target = 255
				}
				dst[ch] = uint8(clamp255((1-a)*v+a*target) + 0.5)
			}
			dst[3] = 255
		}
	}
	return out, nil
}
