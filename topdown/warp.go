package topdown

import (
	"fmt"
	"math"

	"github.com/posedistill/posedistill/dataset"
)

// WarpImage samples src into an outW×outH crop, dst ([outH, outW, 3], raw 0–255 values), where
// toCrop maps image pixels to crop pixels: crop pixel (u, v) takes src at toCrop⁻¹(u, v) by
// bilinear interpolation, with black outside src (OpenCV's warpAffine with INTER_LINEAR and a
// constant 0 border).
func WarpImage(src *RGB, toCrop Affine, outW, outH int, dst []float32) error {
	if src == nil || src.W <= 0 || src.H <= 0 || len(src.Pix) != 3*src.W*src.H {
		return fmt.Errorf("topdown: warp: invalid source image")
	}
	if outW <= 0 || outH <= 0 || len(dst) != 3*outW*outH {
		return fmt.Errorf("topdown: warp: destination has %d values, want %dx%dx3", len(dst), outH, outW)
	}
	inv, err := toCrop.Inverse()
	if err != nil {
		return fmt.Errorf("topdown: warp: %w", err)
	}
	w, h := src.W, src.H
	pix := src.Pix
	for v := 0; v < outH; v++ {
		// Source position of (0, v) and its step per crop column.
		sx, sy := inv.Apply(0, float64(v))
		row := dst[3*v*outW : 3*(v+1)*outW]
		for u := 0; u < outW; u++ {
			x, y := sx+inv[0]*float64(u), sy+inv[3]*float64(u)
			out := row[3*u : 3*u+3]
			fx0, fy0 := math.Floor(x), math.Floor(y)
			if !(fx0 >= -1 && fy0 >= -1 && fx0 < float64(w) && fy0 < float64(h)) { // NaN too
				out[0], out[1], out[2] = 0, 0, 0
				continue
			}
			x0, y0 := int(fx0), int(fy0)
			ax, ay := float32(x-fx0), float32(y-fy0)
			w00, w10 := (1-ax)*(1-ay), ax*(1-ay)
			w01, w11 := (1-ax)*ay, ax*ay
			if x0 >= 0 && y0 >= 0 && x0+1 < w && y0+1 < h {
				i := 3 * (y0*w + x0)
				j := i + 3*w
				p00, p10, p01, p11 := pix[i:i+3:i+3], pix[i+3:i+6:i+6], pix[j:j+3:j+3], pix[j+3:j+6:j+6]
				out[0] = w00*float32(p00[0]) + w10*float32(p10[0]) + w01*float32(p01[0]) + w11*float32(p11[0])
				out[1] = w00*float32(p00[1]) + w10*float32(p10[1]) + w01*float32(p01[1]) + w11*float32(p11[1])
				out[2] = w00*float32(p00[2]) + w10*float32(p10[2]) + w01*float32(p01[2]) + w11*float32(p11[2])
				continue
			}
			// Border: neighbours outside the image count as black.
			var acc [3]float32
			for _, n := range [4]struct {
				x, y int
				w    float32
			}{{x0, y0, w00}, {x0 + 1, y0, w10}, {x0, y0 + 1, w01}, {x0 + 1, y0 + 1, w11}} {
				if n.x >= 0 && n.y >= 0 && n.x < w && n.y < h {
					i := 3 * (n.y*w + n.x)
					acc[0] += n.w * float32(pix[i])
					acc[1] += n.w * float32(pix[i+1])
					acc[2] += n.w * float32(pix[i+2])
				}
			}
			out[0], out[1], out[2] = acc[0], acc[1], acc[2]
		}
	}
	return nil
}

// WarpMask samples a binary mask into an outW×outH crop (dst, values in [0, 1]) through toCrop,
// bilinearly, with 0 outside the mask.
func WarpMask(m *dataset.Mask, toCrop Affine, outW, outH int, dst []float32) error {
	if m == nil || m.Width <= 0 || m.Height <= 0 || len(m.Pix) != m.Width*m.Height {
		return fmt.Errorf("topdown: warp mask: invalid mask")
	}
	if outW <= 0 || outH <= 0 || len(dst) != outW*outH {
		return fmt.Errorf("topdown: warp mask: destination has %d values, want %dx%d", len(dst), outH, outW)
	}
	inv, err := toCrop.Inverse()
	if err != nil {
		return fmt.Errorf("topdown: warp mask: %w", err)
	}
	at := func(x, y int) float32 {
		if x < 0 || y < 0 || x >= m.Width || y >= m.Height || m.Pix[y*m.Width+x] == 0 {
			return 0
		}
		return 1
	}
	for v := 0; v < outH; v++ {
		for u := 0; u < outW; u++ {
			x, y := inv.Apply(float64(u), float64(v))
			fx0, fy0 := math.Floor(x), math.Floor(y)
			if !(fx0 >= -1 && fy0 >= -1 && fx0 < float64(m.Width) && fy0 < float64(m.Height)) {
				dst[v*outW+u] = 0
				continue
			}
			x0, y0 := int(fx0), int(fy0)
			ax, ay := float32(x-fx0), float32(y-fy0)
			dst[v*outW+u] = (1-ax)*(1-ay)*at(x0, y0) + ax*(1-ay)*at(x0+1, y0) +
				(1-ax)*ay*at(x0, y0+1) + ax*ay*at(x0+1, y0+1)
		}
	}
	return nil
}

// ImageNetMean returns the per-channel RGB mean (0–255 scale) crops are normalised with, as
// torchvision and MMPose do.
func ImageNetMean() [3]float32 { return [3]float32{123.675, 116.28, 103.53} }

// ImageNetStd returns the per-channel RGB standard deviation (0–255 scale) matching ImageNetMean.
func ImageNetStd() [3]float32 { return [3]float32{58.395, 57.12, 57.375} }

// Normalize replaces raw 0–255 RGB values (NHWC, 3 channels) by (v - mean) / std per channel.
func Normalize(pix []float32, mean, std [3]float32) error {
	if len(pix)%3 != 0 {
		return fmt.Errorf("topdown: normalize: %d values is not a multiple of 3", len(pix))
	}
	var inv [3]float32
	for c := range inv {
		if !(std[c] > 0) {
			return fmt.Errorf("topdown: normalize: std %v must be positive", std)
		}
		inv[c] = 1 / std[c]
	}
	for i := 0; i+2 < len(pix); i += 3 {
		p := pix[i : i+3 : i+3]
		p[0] = (p[0] - mean[0]) * inv[0]
		p[1] = (p[1] - mean[1]) * inv[1]
		p[2] = (p[2] - mean[2]) * inv[2]
	}
	return nil
}
