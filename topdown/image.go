package topdown

import (
	"fmt"
	"image"
	"image/color"
)

// RGB is an 8-bit RGB image with packed pixels: pixel (x, y) is Pix[3*(y*W+x) : 3*(y*W+x)+3].
// It is the form the warp samples from, converted once per decoded image.
type RGB struct {
	W, H int
	Pix  []uint8
}

// NewRGB returns a black w×h image.
func NewRGB(w, h int) *RGB { return &RGB{W: w, H: h, Pix: make([]uint8, 3*w*h)} }

// Bytes returns the memory the pixels take.
func (m *RGB) Bytes() int64 { return int64(len(m.Pix)) }

// ToRGB converts any image to RGB, with fast paths for the types Go's decoders return (YCbCr
// from JPEG, RGBA/NRGBA and Gray from PNG); alpha is dropped (NRGBA keeps its colour,
// premultiplied RGBA its premultiplied values).
func ToRGB(img image.Image) (*RGB, error) {
	if img == nil {
		return nil, fmt.Errorf("topdown: nil image")
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("topdown: empty image %v", b)
	}
	out := NewRGB(w, h)
	switch src := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			row := out.Pix[3*y*w : 3*(y+1)*w]
			for x := 0; x < w; x++ {
				yi := src.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := src.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bl := color.YCbCrToRGB(src.Y[yi], src.Cb[ci], src.Cr[ci])
				row[3*x], row[3*x+1], row[3*x+2] = r, g, bl
			}
		}
	case *image.RGBA:
		copyRGBA(out, src.Pix, src.Stride, src.PixOffset(b.Min.X, b.Min.Y))
	case *image.NRGBA:
		copyRGBA(out, src.Pix, src.Stride, src.PixOffset(b.Min.X, b.Min.Y))
	case *image.Gray:
		for y := 0; y < h; y++ {
			in := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			row := out.Pix[3*y*w : 3*(y+1)*w]
			for x := 0; x < w; x++ {
				v := in[x]
				row[3*x], row[3*x+1], row[3*x+2] = v, v, v
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				i := 3 * (y*w + x)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = uint8(r>>8), uint8(g>>8), uint8(bl>>8)
			}
		}
	}
	return out, nil
}

// copyRGBA copies 4-byte pixels starting at off with the given stride, dropping alpha.
func copyRGBA(out *RGB, pix []uint8, stride, off int) {
	for y := 0; y < out.H; y++ {
		in := pix[off+y*stride : off+y*stride+4*out.W]
		row := out.Pix[3*y*out.W : 3*(y+1)*out.W]
		for x := 0; x < out.W; x++ {
			row[3*x], row[3*x+1], row[3*x+2] = in[4*x], in[4*x+1], in[4*x+2]
		}
	}
}
