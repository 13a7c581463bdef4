package dataset

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// PolygonRLE rasterizes one closed polygon (x0, y0, x1, y1, … in pixels) into an h×w RLE exactly
// as pycocotools' frPyObjects / rleFrPoly does: the outline is upsampled by 5, traced with the
// same integer rounding, and pixel centres inside are set, so areas match pycocotools. An odd
// trailing coordinate is ignored, as pycocotools does. Non-finite or huge coordinates are errors.
func PolygonRLE(xy []float64, h, w int) (*RLE, error) {
	if h < 0 || w < 0 || uint64(h)*uint64(w) > math.MaxUint32 {
		return nil, fmt.Errorf("polygon: image size %dx%d out of range", w, h)
	}
	k := len(xy) / 2
	if k == 0 {
		return nil, errors.New("polygon: no points")
	}
	const scale = 5
	x := make([]int, k+1)
	y := make([]int, k+1)
	for j := 0; j < k; j++ {
		for _, v := range xy[2*j : 2*j+2] {
			if math.IsNaN(v) || math.Abs(v) > 1e8 {
				return nil, fmt.Errorf("polygon: coordinate %v of point %d is not usable", v, j)
			}
		}
		x[j] = int(scale*xy[2*j] + .5) // C's (int) truncates toward zero, as Go does
		y[j] = int(scale*xy[2*j+1] + .5)
	}
	x[k], y[k] = x[0], y[0]

	// Dense boundary points of the upsampled outline.
	n := 0
	for j := 0; j < k; j++ {
		n += max(abs(x[j]-x[j+1]), abs(y[j]-y[j+1])) + 1
	}
	if n > 1<<22 { // 800,000 pixels of outline; guards memory against absurd coordinates
		return nil, fmt.Errorf("polygon: outline of %d points is too long", n)
	}
	u := make([]int, 0, n)
	v := make([]int, 0, n)
	for j := 0; j < k; j++ {
		xs, xe, ys, ye := x[j], x[j+1], y[j], y[j+1]
		dx, dy := abs(xe-xs), abs(ys-ye)
		if dx == 0 && dy == 0 { // pycocotools computes 0/0 here; the point's row never matters
			u = append(u, xs)
			v = append(v, ys)
			continue
		}
		flip := (dx >= dy && xs > xe) || (dx < dy && ys > ye)
		if flip {
			xs, xe = xe, xs
			ys, ye = ye, ys
		}
		if dx >= dy {
			s := float64(ye-ys) / float64(dx)
			for d := 0; d <= dx; d++ {
				t := d
				if flip {
					t = dx - d
				}
				u = append(u, t+xs)
				v = append(v, int(float64(ys)+s*float64(t)+.5))
			}
		} else {
			s := float64(xe-xs) / float64(dy)
			for d := 0; d <= dy; d++ {
				t := d
				if flip {
					t = dy - d
				}
				v = append(v, t+ys)
				u = append(u, int(float64(xs)+s*float64(t)+.5))
			}
		}
	}

	// Points where the outline crosses a pixel column centre, downsampled.
	a := make([]uint32, 0, len(u)/scale+2)
	for j := 1; j < len(u); j++ {
		if u[j] == u[j-1] {
			continue
		}
		xd := float64(u[j] - 1)
		if u[j] < u[j-1] {
			xd = float64(u[j])
		}
		xd = (xd+.5)/scale - .5
		if math.Floor(xd) != xd || xd < 0 || xd > float64(w-1) {
			continue
		}
		yd := float64(min(v[j], v[j-1]))
		yd = (yd+.5)/scale - .5
		if yd < 0 {
			yd = 0
		} else if yd > float64(h) {
			yd = float64(h)
		}
		yd = math.Ceil(yd)
		a = append(a, uint32(int(xd)*h+int(yd)))
	}
	a = append(a, uint32(h*w))
	slices.Sort(a)
	var p uint32
	for j := range a {
		t := a[j]
		a[j] -= p
		p = t
	}
	b := make([]uint32, 0, len(a))
	j := 0
	b = append(b, a[j])
	j++
	for j < len(a) {
		if a[j] > 0 {
			b = append(b, a[j])
			j++
		} else {
			j++
			if j < len(a) {
				b[len(b)-1] += a[j]
				j++
			}
		}
	}
	return &RLE{Height: h, Width: w, Counts: b}, nil
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// ToRLE returns the segmentation as one h×w RLE, as pycocotools' COCO.annToRLE does for an image
// of that size: polygons are rasterized and merged, an RLE is returned as it is (its own size
// must equal h×w).
func (s *Segmentation) ToRLE(h, w int) (*RLE, error) {
	if s == nil {
		return nil, errors.New("no segmentation")
	}
	if s.RLE != nil {
		if err := s.RLE.Validate(); err != nil {
			return nil, err
		}
		if s.RLE.Height != h || s.RLE.Width != w {
			return nil, fmt.Errorf("RLE size [%d, %d] differs from image size [%d, %d]", s.RLE.Height, s.RLE.Width, h, w)
		}
		return &RLE{Height: h, Width: w, Counts: slices.Clone(s.RLE.Counts)}, nil
	}
	if len(s.Polygons) == 0 {
		return &RLE{Height: h, Width: w, Counts: []uint32{uint32(h * w)}}, nil
	}
	rles := make([]*RLE, len(s.Polygons))
	for i, poly := range s.Polygons {
		r, err := PolygonRLE(poly, h, w)
		if err != nil {
			return nil, fmt.Errorf("polygon %d: %w", i, err)
		}
		rles[i] = r
	}
	return Union(rles...)
}
