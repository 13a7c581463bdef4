package blazepose

import (
	"image"
	"image/color"
	"math"
)

// Rect is a rotated rectangle in image pixels: centre, size and rotation (radians, clockwise in
// image coordinates, where y points down).
type Rect struct {
	CX, CY, W, H, Rotation float64
}

// ToImage maps a point given in the rectangle's crop of side size (pixels) to image pixels.
func (r Rect) ToImage(x, y float64, size int) (float64, float64) {
	u := (x/float64(size) - 0.5) * r.W
	v := (y/float64(size) - 0.5) * r.H
	s, c := math.Sincos(r.Rotation)
	return r.CX + u*c - v*s, r.CY + u*s + v*c
}

// Crop samples the rectangle of img into a size×size×3 RGB crop (bilinear, black outside the
// image), scaled linearly so that 0..255 maps to lo..hi.
func Crop(img image.Image, r Rect, size int, lo, hi float32) []float32 {
	b := img.Bounds()
	out := make([]float32, size*size*3)
	pix := func(x, y int) [3]float32 {
		if x < b.Min.X || y < b.Min.Y || x >= b.Max.X || y >= b.Max.Y {
			return [3]float32{}
		}
		c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
		return [3]float32{float32(c.R), float32(c.G), float32(c.B)}
	}
	scale := (hi - lo) / 255
	for row := 0; row < size; row++ {
		for col := 0; col < size; col++ {
			sx, sy := r.ToImage(float64(col)+0.5, float64(row)+0.5, size)
			sx, sy = sx-0.5, sy-0.5 // pixel centres
			fx, fy := math.Floor(sx), math.Floor(sy)
			ax, ay := float32(sx-fx), float32(sy-fy)
			ix, iy := int(fx), int(fy)
			p00, p10, p01, p11 := pix(ix, iy), pix(ix+1, iy), pix(ix, iy+1), pix(ix+1, iy+1)
			for ch := 0; ch < 3; ch++ {
				v := (1-ay)*((1-ax)*p00[ch]+ax*p10[ch]) + ay*((1-ax)*p01[ch]+ax*p11[ch])
				out[(row*size+col)*3+ch] = lo + v*scale
			}
		}
	}
	return out
}

// Letterbox returns the square rectangle covering the whole image (the long side, centred), the
// region the detector sees with the image's aspect ratio kept and the rest padded.
func Letterbox(img image.Image) Rect {
	b := img.Bounds()
	w, h := float64(b.Dx()), float64(b.Dy())
	side := math.Max(w, h)
	return Rect{CX: float64(b.Min.X) + w/2, CY: float64(b.Min.Y) + h/2, W: side, H: side}
}
