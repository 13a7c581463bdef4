package blazepose

import (
	"fmt"
	"math"

	"github.com/posedistill/posedistill/dataset"
)

// Mask returns the person's segmentation as a width×height image mask: a pixel is set when the
// segmentation probability at its centre, sampled bilinearly from the landmark crop, is above
// threshold (MediaPipe uses 0.5 for display). Pixels outside the crop are unset.
func (p Person) Mask(width, height int, threshold float64) (*dataset.Mask, error) {
	if width <= 0 || height <= 0 {
		return nil, fmt.Errorf("blazepose mask: size %dx%d", width, height)
	}
	if p.Pose == nil || len(p.Pose.Segmentation) != InputSize*InputSize {
		return nil, fmt.Errorf("blazepose mask: person has no %d×%d segmentation", InputSize, InputSize)
	}
	if !(threshold > 0 && threshold < 1) {
		return nil, fmt.Errorf("blazepose mask: threshold %v outside (0, 1)", threshold)
	}
	logit := float32(math.Log(threshold / (1 - threshold)))
	seg := p.Pose.Segmentation
	at := func(x, y int) float32 {
		x, y = min(max(x, 0), InputSize-1), min(max(y, 0), InputSize-1)
		return seg[y*InputSize+x]
	}
	m := &dataset.Mask{Width: width, Height: height, Pix: make([]uint8, width*height)}
	x0, y0, x1, y1 := p.ROI.imageBounds(width, height)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			u, v := p.ROI.FromImage(float64(x)+0.5, float64(y)+0.5, InputSize)
			if u < 0 || v < 0 || u >= InputSize || v >= InputSize {
				continue
			}
			u, v = u-0.5, v-0.5
			fu, fv := math.Floor(u), math.Floor(v)
			au, av := float32(u-fu), float32(v-fv)
			iu, iv := int(fu), int(fv)
			val := (1-av)*((1-au)*at(iu, iv)+au*at(iu+1, iv)) + av*((1-au)*at(iu, iv+1)+au*at(iu+1, iv+1))
			if val > logit {
				m.Pix[y*width+x] = 1
			}
		}
	}
	return m, nil
}

// imageBounds returns the pixel range [x0, x1) × [y0, y1) of a width×height image that the
// rotated rectangle can touch.
func (r Rect) imageBounds(width, height int) (x0, y0, x1, y1 int) {
	lo, hi := [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
	for _, c := range [4][2]float64{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
		x, y := r.ToImage(c[0], c[1], 1)
		lo = [2]float64{math.Min(lo[0], x), math.Min(lo[1], y)}
		hi = [2]float64{math.Max(hi[0], x), math.Max(hi[1], y)}
	}
	clamp := func(v float64, n int) int {
		if math.IsNaN(v) {
			return 0
		}
		return int(math.Max(0, math.Min(float64(n), v)))
	}
	return clamp(math.Floor(lo[0]), width), clamp(math.Floor(lo[1]), height), clamp(math.Ceil(hi[0]), width), clamp(math.Ceil(hi[1]), height)
}
