package blazepose

import (
	"image"
	"math"
)

// DetectionWindows returns the square regions of an image the detector looks at. side 0 (or a
// side not smaller than the image's long side) gives the whole image, letterboxed, as MediaPipe
// does; a smaller side tiles the image with squares of that side overlapping by a quarter, so
// that people far from the camera appear large enough for the detector (it finds people whose
// face is roughly 20–60 pixels in its 224-pixel input).
func DetectionWindows(bounds image.Rectangle, side int) []Rect {
	w, h := bounds.Dx(), bounds.Dy()
	if side <= 0 || side >= max(w, h) {
		return []Rect{{CX: float64(bounds.Min.X) + float64(w)/2, CY: float64(bounds.Min.Y) + float64(h)/2,
			W: float64(max(w, h)), H: float64(max(w, h))}}
	}
	s := float64(side)
	centres := func(n int) []float64 {
		if float64(n) <= s {
			return []float64{float64(n) / 2}
		}
		k := int(math.Ceil((float64(n)-s)/(0.75*s))) + 1 // windows along the axis
		step := (float64(n) - s) / float64(k-1)
		out := make([]float64, k)
		for i := range out {
			out[i] = s/2 + float64(i)*step
		}
		return out
	}
	var out []Rect
	for _, cy := range centres(h) {
		for _, cx := range centres(w) {
			out = append(out, Rect{CX: float64(bounds.Min.X) + cx, CY: float64(bounds.Min.Y) + cy, W: s, H: s})
		}
	}
	return out
}

// detectionBox returns a detection's box (x, y, width, height) in image pixels, the detector
// having looked at window.
func detectionBox(d Detection, window Rect) [4]float64 {
	const s = DetectorInputSize
	x0, y0 := window.ToImage(d.XMin*s, d.YMin*s, s)
	x1, y1 := window.ToImage(d.XMax*s, d.YMax*s, s)
	return [4]float64{math.Min(x0, x1), math.Min(y0, y1), math.Abs(x1 - x0), math.Abs(y1 - y0)}
}
