package render

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// Colormap maps v in [0, 1] (clamped) to a blue–cyan–green–yellow–red ramp.
func Colormap(v float64) color.RGBA {
	if math.IsNaN(v) {
		v = 0
	}
	v = math.Max(0, math.Min(1, v))
	stops := [...][3]float64{{0, 0, 128}, {0, 128, 255}, {0, 220, 120}, {255, 230, 0}, {230, 20, 20}}
	f := v * float64(len(stops)-1)
	i := min(int(f), len(stops)-2)
	t := f - float64(i)
	a, b := stops[i], stops[i+1]
	return color.RGBA{
		uint8(a[0] + (b[0]-a[0])*t + 0.5), uint8(a[1] + (b[1]-a[1])*t + 0.5), uint8(a[2] + (b[2]-a[2])*t + 0.5), 255,
	}
}

// Heatmap blends a heatmap of hw × hh values (row-major, expected in [0, 1]) over the whole
// image, stretched bilinearly to its size. Each pixel takes the colour of its value with
// opacity alpha·value, so zero leaves the image untouched.
func Heatmap(img *image.RGBA, heat []float32, hw, hh int, alpha float64) error {
	if hw < 1 || hh < 1 || len(heat) != hw*hh {
		return fmt.Errorf("render: heatmap of %d values for %dx%d", len(heat), hw, hh)
	}
	b := img.Rect
	sx := float64(hw) / float64(b.Dx())
	sy := float64(hh) / float64(b.Dy())
	at := func(x, y int) float64 {
		x = max(0, min(hw-1, x))
		y = max(0, min(hh-1, y))
		return float64(heat[y*hw+x])
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		fy := (float64(y-b.Min.Y)+0.5)*sy - 0.5
		y0 := int(math.Floor(fy))
		ty := fy - float64(y0)
		for x := b.Min.X; x < b.Max.X; x++ {
			fx := (float64(x-b.Min.X)+0.5)*sx - 0.5
			x0 := int(math.Floor(fx))
			tx := fx - float64(x0)
			v := (at(x0, y0)*(1-tx)+at(x0+1, y0)*tx)*(1-ty) + (at(x0, y0+1)*(1-tx)+at(x0+1, y0+1)*tx)*ty
			if math.IsNaN(v) || v <= 0 {
				continue
			}
			v = math.Min(v, 1)
			blend(img, x, y, Colormap(v), alpha*v)
		}
	}
	return nil
}
