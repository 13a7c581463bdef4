// Package render draws pose overlays (skeletons, keypoints, boxes, instance masks) onto images
// and lays images out in grids, for contact sheets of datasets and for prediction overlays.
//
// Shapes are drawn with anti-aliased edges in continuous image coordinates: the image spans
// [0, W] × [0, H] and pixel (i, j) covers [i, i+1) × [j, j+1).
package render

import (
	"image"
	"image/color"
	"math"
)

// blend mixes colour c with coverage a (0–1, times c's alpha) into pixel (x, y) of img.
func blend(img *image.RGBA, x, y int, c color.RGBA, a float64) {
	if !(image.Point{x, y}).In(img.Rect) || a <= 0 {
		return
	}
	a *= float64(c.A) / 255
	if a > 1 {
		a = 1
	}
	o := img.PixOffset(x, y)
	p := img.Pix[o : o+4 : o+4]
	p[0] = uint8(float64(p[0])*(1-a) + float64(c.R)*a + 0.5)
	p[1] = uint8(float64(p[1])*(1-a) + float64(c.G)*a + 0.5)
	p[2] = uint8(float64(p[2])*(1-a) + float64(c.B)*a + 0.5)
	p[3] = uint8(math.Max(float64(p[3]), 255*a))
}

// Line draws a segment from (x0, y0) to (x1, y1) of the given width (pixels) with round caps.
func Line(img *image.RGBA, x0, y0, x1, y1, width float64, c color.RGBA) {
	if !finite(x0, y0, x1, y1, width) || width <= 0 {
		return
	}
	r := width / 2
	b := img.Rect
	lx := max(b.Min.X, int(math.Floor(math.Min(x0, x1)-r-1)))
	hx := min(b.Max.X-1, int(math.Ceil(math.Max(x0, x1)+r+1)))
	ly := max(b.Min.Y, int(math.Floor(math.Min(y0, y1)-r-1)))
	hy := min(b.Max.Y-1, int(math.Ceil(math.Max(y0, y1)+r+1)))
	dx, dy := x1-x0, y1-y0
	ll := dx*dx + dy*dy
	for y := ly; y <= hy; y++ {
		for x := lx; x <= hx; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			t := 0.0
			if ll > 0 {
				t = math.Max(0, math.Min(1, ((px-x0)*dx+(py-y0)*dy)/ll))
			}
			d := math.Hypot(px-x0-t*dx, py-y0-t*dy)
			blend(img, x, y, c, r+0.5-d)
		}
	}
}

// Disc draws a filled circle of radius r centred at (cx, cy).
func Disc(img *image.RGBA, cx, cy, r float64, c color.RGBA) {
	ring(img, cx, cy, r, 0, c)
}

// Circle draws a circle outline of radius r and stroke width w centred at (cx, cy).
func Circle(img *image.RGBA, cx, cy, r, w float64, c color.RGBA) {
	ring(img, cx, cy, r, math.Max(0, r-w), c)
}

// ring fills the annulus between radii inner and outer.
func ring(img *image.RGBA, cx, cy, outer, inner float64, c color.RGBA) {
	if !finite(cx, cy, outer, inner) || outer <= 0 {
		return
	}
	b := img.Rect
	lx, hx := max(b.Min.X, int(cx-outer-1)), min(b.Max.X-1, int(cx+outer+1))
	ly, hy := max(b.Min.Y, int(cy-outer-1)), min(b.Max.Y-1, int(cy+outer+1))
	for y := ly; y <= hy; y++ {
		for x := lx; x <= hx; x++ {
			d := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy)
			a := math.Min(outer+0.5-d, 1)
			if inner > 0 {
				a = math.Min(a, d-(inner-0.5))
			}
			blend(img, x, y, c, a)
		}
	}
}

// Rect draws the outline of the box x, y, w, h with stroke width sw.
func Rect(img *image.RGBA, x, y, w, h, sw float64, c color.RGBA) {
	Line(img, x, y, x+w, y, sw, c)
	Line(img, x+w, y, x+w, y+h, sw, c)
	Line(img, x+w, y+h, x, y+h, sw, c)
	Line(img, x, y+h, x, y, sw, c)
}

func finite(v ...float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e7 {
			return false
		}
	}
	return true
}
