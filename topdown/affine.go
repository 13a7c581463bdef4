// Package topdown turns a COCO person instance into a network sample, as top-down pose estimators
// see it: the person box becomes a fixed-aspect crop through an affine transform (with random
// scale, rotation, shift, flip and half-body augmentation), the crop is sampled bilinearly into an
// NHWC float32 image normalised with ImageNet's mean and std, and the keypoints, 3D joints and
// mask follow the same transform into the codec's targets. Samples are collated into batches of
// flat float32 tensors by a deterministic, parallel, resumable loader, and predictions are mapped
// back to image coordinates through the inverse transform.
package topdown

import (
	"fmt"
	"math"
)

// Affine is the 2D affine transform (x, y) ↦ (A[0]·x + A[1]·y + A[2], A[3]·x + A[4]·y + A[5]),
// the 2×3 matrix of OpenCV's warpAffine in row-major order. Pixel (i, j) of an image has
// coordinates (i, j), as in OpenCV and MMPose.
type Affine [6]float64

// Identity returns the identity transform.
func Identity() Affine { return Affine{1, 0, 0, 0, 1, 0} }

// Apply maps the point (x, y).
func (m Affine) Apply(x, y float64) (float64, float64) {
	return m[0]*x + m[1]*y + m[2], m[3]*x + m[4]*y + m[5]
}

// Det returns the determinant of the linear part.
func (m Affine) Det() float64 { return m[0]*m[4] - m[1]*m[3] }

// Inverse returns the inverse transform, or an error if m is singular or not finite.
func (m Affine) Inverse() (Affine, error) {
	det := m.Det()
	if !(math.Abs(det) > 1e-12) || math.IsInf(det, 0) {
		return Affine{}, fmt.Errorf("topdown: affine %v is singular", m)
	}
	a, b, c := m[4]/det, -m[1]/det, 0.0
	d, e, f := -m[3]/det, m[0]/det, 0.0
	c = -(a*m[2] + b*m[5])
	f = -(d*m[2] + e*m[5])
	return Affine{a, b, c, d, e, f}, nil
}

// Then returns the transform that applies m first and n second.
func (m Affine) Then(n Affine) Affine {
	return Affine{
		n[0]*m[0] + n[1]*m[3], n[0]*m[1] + n[1]*m[4], n[0]*m[2] + n[1]*m[5] + n[2],
		n[3]*m[0] + n[4]*m[3], n[3]*m[1] + n[4]*m[4], n[3]*m[2] + n[4]*m[5] + n[5],
	}
}

// Orientation returns the rotation (or rotation and mirror) part of m's linear part with the
// scale removed, each row normalised to unit length: exact for the crop transforms of this
// package, whose linear part is diag(sx, sy)·R or diag(-sx, sy)·R. It is how 3D joints (camera X
// right, Y down, like the image) follow an in-plane rotation and a flip of the crop.
func (m Affine) Orientation() [2][2]float64 {
	n0 := math.Hypot(m[0], m[1])
	n1 := math.Hypot(m[3], m[4])
	if n0 == 0 || n1 == 0 {
		return [2][2]float64{{1, 0}, {0, 1}}
	}
	return [2][2]float64{{m[0] / n0, m[1] / n0}, {m[3] / n1, m[4] / n1}}
}

// FlipX returns the horizontal mirror of a crop w pixels wide: x ↦ w-1-x, which maps pixel
// column i to column w-1-i.
func FlipX(w int) Affine { return Affine{-1, 0, float64(w - 1), 0, 1, 0} }

// Box is a person box as a centre and a size in image pixels (MMPose's bbox_center, bbox_scale).
type Box struct {
	CX, CY float64
	W, H   float64
}

// BoxFromXYWH returns the box of a COCO bbox [x, y, w, h], enlarged by padding (1.25 in COCO
// top-down training) and then widened or heightened to the aspect ratio w/h of the network input
// (192/256 = 0.75), as MMPose's bbox_xywh2cs followed by its aspect fix.
func BoxFromXYWH(bbox [4]float64, aspect, padding float64) Box {
	b := Box{CX: bbox[0] + bbox[2]*0.5, CY: bbox[1] + bbox[3]*0.5, W: bbox[2] * padding, H: bbox[3] * padding}
	return b.WithAspect(aspect)
}

// WithAspect returns the box grown along one axis to the aspect ratio w/h.
func (b Box) WithAspect(aspect float64) Box {
	if b.W > b.H*aspect {
		b.H = b.W / aspect
	} else {
		b.W = b.H * aspect
	}
	return b
}

// WarpMatrix returns the transform from image pixels to an outW×outH crop of box b rotated by rot
// degrees (counter-clockwise on screen) about its centre.
//
// Without udp it is MMPose's get_warp_matrix: scale outW/b.W on both axes and the box centre at
// (outW/2, outH/2). With udp it is UDP's unbiased matrix: scales (outW-1)/b.W and (outH-1)/b.H and
// the centre at ((outW-1)/2, (outH-1)/2), so that flipping the crop array is flipping the box.
func WarpMatrix(b Box, rot float64, outW, outH int, udp bool) Affine {
	sx := float64(outW) / b.W
	sy := sx
	ox, oy := float64(outW)*0.5, float64(outH)*0.5
	if udp {
		sx = float64(outW-1) / b.W
		sy = float64(outH-1) / b.H
		ox, oy = float64(outW-1)*0.5, float64(outH-1)*0.5
	}
	// crop = S·R·(p - c) + o with R = [[cos, sin], [-sin, cos]]: R takes +x towards -y (up, on
	// screen), a counter-clockwise turn of the content, as MMPose's get_warp_matrix.
	th := rot * math.Pi / 180
	cs, sn := math.Cos(th), math.Sin(th)
	r := [4]float64{cs, sn, -sn, cs}
	if rot == 0 {
		r = [4]float64{1, 0, 0, 1}
	}
	a, bb := sx*r[0], sx*r[1]
	d, e := sy*r[2], sy*r[3]
	return Affine{a, bb, ox - a*b.CX - bb*b.CY, d, e, oy - d*b.CX - e*b.CY}
}
