package blazepose

import "math"

// alignedROI returns the square crop MediaPipe derives from two alignment points in image
// pixels: centred on (x0, y0), side 2·|p1 − p0|·ROIScale, rotated so that p0→p1 points up in the
// crop (MediaPipe's AlignmentPointsRectsCalculator with a 90° target angle, then
// RectTransformationCalculator with scale 1.25, square_long). extra is added to the rotation.
func alignedROI(x0, y0, x1, y1, extra float64) Rect {
	side := 2 * math.Hypot(x1-x0, y1-y0) * ROIScale
	rot := math.Pi/2 - math.Atan2(-(y1-y0), x1-x0) + extra
	rot -= 2 * math.Pi * math.Floor((rot+math.Pi)/(2*math.Pi)) // into [−π, π)
	return Rect{CX: x0, CY: y0, W: side, H: side, Rotation: rot}
}

// LandmarksROI returns the next frame's landmark crop from a person's landmarks, as MediaPipe's
// pose tracking does: the first two auxiliary points (hip centre and a body-size point, in image
// pixels) align the crop exactly as the detector's key points do. ok is false when the auxiliary
// points are absent or coincide.
func (p Person) LandmarksROI() (r Rect, ok bool) {
	if p.Pose == nil || len(p.Pose.Auxiliary) < 2 {
		return Rect{}, false
	}
	x0, y0 := p.ROI.ToImage(p.Pose.Auxiliary[0].X, p.Pose.Auxiliary[0].Y, InputSize)
	x1, y1 := p.ROI.ToImage(p.Pose.Auxiliary[1].X, p.Pose.Auxiliary[1].Y, InputSize)
	r = alignedROI(x0, y0, x1, y1, 0)
	if !(r.W > 1) || math.IsInf(r.W, 0) || math.IsNaN(r.CX) || math.IsNaN(r.CY) {
		return Rect{}, false
	}
	return r, true
}

// FromImage maps a point in image pixels to the rectangle's crop of side size (pixels): the
// inverse of ToImage.
func (r Rect) FromImage(x, y float64, size int) (float64, float64) {
	dx, dy := x-r.CX, y-r.CY
	s, c := math.Sincos(r.Rotation)
	u, v := dx*c+dy*s, -dx*s+dy*c
	return (u/r.W + 0.5) * float64(size), (v/r.H + 0.5) * float64(size)
}

// BBox returns the axis-aligned box (x, y, width, height) around the landmarks whose visibility
// is at least minVisibility, in the landmarks' coordinates; ok is false when none is.
func BBox(lms []Landmark, minVisibility float64) (box [4]float64, ok bool) {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, l := range lms {
		if l.Visibility < minVisibility || math.IsNaN(l.X) || math.IsNaN(l.Y) {
			continue
		}
		x0, y0, x1, y1 = math.Min(x0, l.X), math.Min(y0, l.Y), math.Max(x1, l.X), math.Max(y1, l.Y)
		ok = true
	}
	if !ok {
		return box, false
	}
	return [4]float64{x0, y0, x1 - x0, y1 - y0}, true
}

// IoU is the intersection over union of two boxes (x, y, width, height); 0 when both are empty.
func IoU(a, b [4]float64) float64 {
	iw := math.Min(a[0]+a[2], b[0]+b[2]) - math.Max(a[0], b[0])
	ih := math.Min(a[1]+a[3], b[1]+b[3]) - math.Max(a[1], b[1])
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := iw * ih
	union := a[2]*a[3] + b[2]*b[3] - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}
