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
func ToRGB(img image.Image) (*RGB, error) { return toRGBInto(nil, img) }

// toRGBInto is ToRGB reusing buf's pixel memory when it is large enough (buf may be nil).
func toRGBInto(buf *RGB, img image.Image) (*RGB, error) {
	if img == nil {
		return nil, fmt.Errorf("topdown: nil image")
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("topdown: empty image %v", b)
	}
	var out *RGB
	if buf != nil && cap(buf.Pix) >= 3*w*h {
		out = &RGB{W: w, H: h, Pix: buf.Pix[:3*w*h]}
	} else {
		out = NewRGB(w, h)
	}
	switch src := img.(type) {
	case *image.YCbCr:
		fromYCbCr(out, src)
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

// fromYCbCr converts a JPEG's YCbCr image with JFIF's full-range BT.601 equations in 16.16
// fixed point, the arithmetic of color.YCbCrToRGB, with the chroma of each pixel found by shifts
// (4:4:4, 4:2:2, 4:2:0, 4:4:0) instead of a call per pixel.
func fromYCbCr(out *RGB, src *image.YCbCr) {
	b := src.Rect
	hs, vs := 0, 0 // chroma subsampling shifts
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
	case image.YCbCrSubsampleRatio422:
		hs = 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio440:
		vs = 1
	default:
		hs = -1
	}
	if hs < 0 || b.Min.X < 0 || b.Min.Y < 0 { // 4:1:1, 4:1:0 or negative origin: per-pixel path
		for y := 0; y < out.H; y++ {
			for x := 0; x < out.W; x++ {
				yi := src.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := src.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bl := color.YCbCrToRGB(src.Y[yi], src.Cb[ci], src.Cr[ci])
				i := 3 * (y*out.W + x)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = r, g, bl
			}
		}
		return
	}
	// Offsets as image.YCbCr's YOffset and COffset compute them (shifts equal divisions here).
	for y := 0; y < out.H; y++ {
		py := b.Min.Y + y
		yrow := src.Y[(py-b.Min.Y)*src.YStride:]
		crow := (py>>vs - b.Min.Y>>vs) * src.CStride
		cb, cr := src.Cb[crow:], src.Cr[crow:]
		row := out.Pix[3*y*out.W : 3*(y+1)*out.W]
		for x := 0; x < out.W; x++ {
			c := (b.Min.X+x)>>hs - b.Min.X>>hs
			yy := int32(yrow[x]) * 0x10101
			cb1 := int32(cb[c]) - 128
			cr1 := int32(cr[c]) - 128
			row[3*x] = clampFix(yy + 91881*cr1)
			row[3*x+1] = clampFix(yy - 22554*cb1 - 46802*cr1)
			row[3*x+2] = clampFix(yy + 116130*cb1)
		}
	}
}

// clampFix returns a 16.16 fixed-point value as a byte, clamped to [0, 255].
func clampFix(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
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
