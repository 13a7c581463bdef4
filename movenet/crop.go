package movenet

import (
	"image"
	"math"
)

// Region is a crop of an image in normalized coordinates (0–1 of the height and width; it may
// extend past the image, which is then padded with zeros).
type Region struct {
	YMin, XMin, YMax, XMax float64
}

// COCO-17 indices of the joints the crop logic uses.
const (
	leftShoulder  = 5
	rightShoulder = 6
	leftHip       = 11
	rightHip      = 12
)

// InitCropRegion returns the crop MoveNet starts from: the whole h×w image, padded to a square
// centred on it.
func InitCropRegion(h, w int) Region {
	if w > h {
		bh := float64(w) / float64(h)
		y0 := (float64(h)/2 - float64(w)/2) / float64(h)
		return Region{YMin: y0, XMin: 0, YMax: y0 + bh, XMax: 1}
	}
	bw := float64(h) / float64(w)
	x0 := (float64(w)/2 - float64(h)/2) / float64(w)
	return Region{YMin: 0, XMin: x0, YMax: 1, XMax: x0 + bw}
}

// DetermineCropRegion returns the crop for the next frame from this frame's keypoints (y, x in
// 0–1 of the image, confidence), as MoveNet's reference code does: a square centred on the hips,
// large enough to hold the torso with a margin (1.9×) and the confident keypoints (1.2×), clipped
// to the image's extent around the centre; the whole image when the torso is not visible or the
// square would exceed it.
func DetermineCropRegion(kps [NumKeypoints][3]float64, h, w int, minScore float64) Region {
	fh, fw := float64(h), float64(w)
	visible := func(k int) bool { return kps[k][2] > minScore }
	if !((visible(leftHip) || visible(rightHip)) && (visible(leftShoulder) || visible(rightShoulder))) {
		return InitCropRegion(h, w)
	}
	py := func(k int) float64 { return kps[k][0] * fh }
	px := func(k int) float64 { return kps[k][1] * fw }
	cy := (py(leftHip) + py(rightHip)) / 2
	cx := (px(leftHip) + px(rightHip)) / 2
	var torsoY, torsoX, bodyY, bodyX float64
	for _, k := range []int{leftShoulder, rightShoulder, leftHip, rightHip} {
		torsoY = math.Max(torsoY, math.Abs(cy-py(k)))
		torsoX = math.Max(torsoX, math.Abs(cx-px(k)))
	}
	for k := range NumKeypoints {
		if kps[k][2] < minScore {
			continue
		}
		bodyY = math.Max(bodyY, math.Abs(cy-py(k)))
		bodyX = math.Max(bodyX, math.Abs(cx-px(k)))
	}
	half := math.Max(math.Max(torsoX*1.9, torsoY*1.9), math.Max(bodyY*1.2, bodyX*1.2))
	half = math.Min(half, math.Max(math.Max(cx, fw-cx), math.Max(cy, fh-cy)))
	if half > math.Max(fw, fh)/2 {
		return InitCropRegion(h, w)
	}
	y0, x0 := cy-half, cx-half
	return Region{YMin: y0 / fh, XMin: x0 / fw, YMax: (y0 + 2*half) / fh, XMax: (x0 + 2*half) / fw}
}

// CropAndResize samples region r of img bilinearly into an outH×outW RGB image of int32 values
// (truncated, as MoveNet's reference code casts), zero outside the image: TensorFlow's
// crop_and_resize, whose samples span the region from its first to its last pixel centre.
func CropAndResize(img image.Image, r Region, outH, outW int) []int32 {
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	rgb := toRGB(img)
	out := make([]int32, outH*outW*3)
	coord := func(lo, hi float64, i, n, size int) float64 {
		if n == 1 {
			return 0.5 * (lo + hi) * float64(size-1)
		}
		return lo*float64(size-1) + float64(i)*(hi-lo)*float64(size-1)/float64(n-1)
	}
	for i := range outH {
		sy := coord(r.YMin, r.YMax, i, outH, h)
		if sy < 0 || sy > float64(h-1) {
			continue
		}
		y0 := int(math.Floor(sy))
		y1 := min(y0+1, h-1)
		ay := sy - float64(y0)
		for j := range outW {
			sx := coord(r.XMin, r.XMax, j, outW, w)
			if sx < 0 || sx > float64(w-1) {
				continue
			}
			x0 := int(math.Floor(sx))
			x1 := min(x0+1, w-1)
			ax := sx - float64(x0)
			for c := range 3 {
				top := float64(rgb[(y0*w+x0)*3+c])*(1-ax) + float64(rgb[(y0*w+x1)*3+c])*ax
				bot := float64(rgb[(y1*w+x0)*3+c])*(1-ax) + float64(rgb[(y1*w+x1)*3+c])*ax
				out[(i*outW+j)*3+c] = int32(top*(1-ay) + bot*ay)
			}
		}
	}
	return out
}

// toRGB returns the 8-bit RGB values of img, row-major.
func toRGB(img image.Image) []uint8 {
	b := img.Bounds()
	out := make([]uint8, b.Dx()*b.Dy()*3)
	switch m := img.(type) {
	case *image.RGBA:
		for y := range b.Dy() {
			row := m.Pix[(y+b.Min.Y-m.Rect.Min.Y)*m.Stride+(b.Min.X-m.Rect.Min.X)*4:]
			for x := range b.Dx() {
				copy(out[(y*b.Dx()+x)*3:], row[4*x:4*x+3])
			}
		}
		return out
	case *image.YCbCr:
		for y := range b.Dy() {
			for x := range b.Dx() {
				c := m.YCbCrAt(b.Min.X+x, b.Min.Y+y)
				r, g, bl, _ := c.RGBA()
				i := (y*b.Dx() + x) * 3
				out[i], out[i+1], out[i+2] = uint8(r>>8), uint8(g>>8), uint8(bl>>8)
			}
		}
		return out
	}
	for y := range b.Dy() {
		for x := range b.Dx() {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := (y*b.Dx() + x) * 3
			out[i], out[i+1], out[i+2] = uint8(r>>8), uint8(g>>8), uint8(bl>>8)
		}
	}
	return out
}

// ResizePadded resizes img bilinearly to rh×rw (TensorFlow's resize_bilinear without half-pixel
// centres or aligned corners: output pixel i samples the input at i·in/out) into the top-left of a
// zero ph×pw RGB image of int32 values (truncated).
func ResizePadded(img image.Image, rh, rw, ph, pw int) []int32 {
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	rgb := toRGB(img)
	out := make([]int32, ph*pw*3)
	sy, sx := float64(h)/float64(rh), float64(w)/float64(rw)
	for i := range min(rh, ph) {
		fy := float64(i) * sy
		y0 := min(int(math.Floor(fy)), h-1)
		y1 := min(int(math.Ceil(fy)), h-1)
		ay := fy - math.Floor(fy)
		for j := range min(rw, pw) {
			fx := float64(j) * sx
			x0 := min(int(math.Floor(fx)), w-1)
			x1 := min(int(math.Ceil(fx)), w-1)
			ax := fx - math.Floor(fx)
			for c := range 3 {
				top := float64(rgb[(y0*w+x0)*3+c]) + (float64(rgb[(y0*w+x1)*3+c])-float64(rgb[(y0*w+x0)*3+c]))*ax
				bot := float64(rgb[(y1*w+x0)*3+c]) + (float64(rgb[(y1*w+x1)*3+c])-float64(rgb[(y1*w+x0)*3+c]))*ax
				out[(i*pw+j)*3+c] = int32(top + (bot-top)*ay)
			}
		}
	}
	return out
}
