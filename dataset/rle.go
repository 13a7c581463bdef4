package dataset

import (
	"errors"
	"fmt"
	"math"
)

// Validate checks that the RLE is well formed: non-negative size and run lengths that add up to
// exactly Height×Width pixels.
func (r *RLE) Validate() error {
	if r == nil {
		return errors.New("nil RLE")
	}
	if r.Height < 0 || r.Width < 0 {
		return fmt.Errorf("RLE size [%d, %d] is negative", r.Height, r.Width)
	}
	if uint64(r.Height)*uint64(r.Width) > math.MaxUint32 {
		return fmt.Errorf("RLE size [%d, %d] has more than 2³²−1 pixels", r.Height, r.Width)
	}
	var sum uint64
	for _, c := range r.Counts {
		sum += uint64(c)
	}
	if want := uint64(r.Height) * uint64(r.Width); sum != want {
		return fmt.Errorf("RLE counts add up to %d pixels, size [%d, %d] has %d", sum, r.Height, r.Width, want)
	}
	return nil
}

// EncodeMask run-length encodes m exactly as pycocotools' encode does: runs over the pixels in
// column-major order, alternating 0s and 1s and starting with a (possibly empty) run of 0s. Any
// non-zero pixel counts as 1.
func EncodeMask(m *Mask) (*RLE, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	h, w := m.Height, m.Width
	counts := make([]uint32, 0, 8)
	var run uint32
	var prev uint8
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			v := m.Pix[y*w+x]
			if v != 0 {
				v = 1
			}
			if v != prev {
				counts = append(counts, run)
				run = 0
				prev = v
			}
			run++
		}
	}
	counts = append(counts, run)
	return &RLE{Height: h, Width: w, Counts: counts}, nil
}

// check reports a mask whose pixel buffer does not match its size.
func (m *Mask) check() error {
	if m == nil {
		return errors.New("nil mask")
	}
	if m.Width < 0 || m.Height < 0 || len(m.Pix) != m.Width*m.Height {
		return fmt.Errorf("mask %dx%d has %d pixels", m.Width, m.Height, len(m.Pix))
	}
	return nil
}

// Decode expands the RLE into a row-major mask of 0s and 1s.
func (r *RLE) Decode() (*Mask, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	h, w := r.Height, r.Width
	m := &Mask{Width: w, Height: h, Pix: make([]uint8, w*h)}
	pos := 0 // column-major pixel index
	var v uint8
	for _, c := range r.Counts {
		if v == 1 {
			for k := pos; k < pos+int(c); k++ {
				x, y := k/h, k%h
				m.Pix[y*w+x] = 1
			}
		}
		pos += int(c)
		v ^= 1
	}
	return m, nil
}

// Area returns the number of foreground pixels (pycocotools' area).
func (r *RLE) Area() int64 {
	var a int64
	for j := 1; j < len(r.Counts); j += 2 {
		a += int64(r.Counts[j])
	}
	return a
}

// BBox returns the tight bounding box [x, y, width, height] of the foreground (all zeros for an
// empty mask). It gives pycocotools' toBbox result for every RLE pycocotools produces; unlike
// toBbox it also skips zero-length runs of 1s, which only hand-made RLEs contain.
func (r *RLE) BBox() [4]float64 {
	h := uint64(r.Height)
	if h == 0 || r.Width <= 0 {
		return [4]float64{}
	}
	xs, ys, xe, ye := uint64(math.MaxUint64), uint64(math.MaxUint64), uint64(0), uint64(0)
	var pos uint64
	found := false
	for j, c := range r.Counts {
		start := pos
		pos += uint64(c)
		if j%2 == 0 || c == 0 {
			continue
		}
		found = true
		x0, y0 := start/h, start%h
		x1, y1 := (pos-1)/h, (pos-1)%h
		xs, xe = min(xs, x0), max(xe, x1)
		if x1 > x0 { // the run wraps from one column to the next: every row is covered
			ys, ye = 0, h-1
		} else {
			ys, ye = min(ys, y0), max(ye, y1)
		}
	}
	if !found {
		return [4]float64{}
	}
	return [4]float64{float64(xs), float64(ys), float64(xe - xs + 1), float64(ye - ys + 1)}
}

// Union returns the RLE of the pixels set in any of rles (pycocotools' merge). All must have the
// same size; the union of no masks is an error.
func Union(rles ...*RLE) (*RLE, error) { return merge(rles, false) }

// Intersection returns the RLE of the pixels set in all of rles (pycocotools' merge with
// intersect=1). All must have the same size.
func Intersection(rles ...*RLE) (*RLE, error) { return merge(rles, true) }

// merge follows pycocotools' rleMerge, run by run, without decoding.
func merge(rles []*RLE, intersect bool) (*RLE, error) {
	if len(rles) == 0 {
		return nil, errors.New("merge: no masks")
	}
	for i, r := range rles {
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("merge: mask %d: %w", i, err)
		}
		if r.Height != rles[0].Height || r.Width != rles[0].Width {
			return nil, fmt.Errorf("merge: mask %d is %dx%d, mask 0 is %dx%d", i, r.Width, r.Height, rles[0].Width, rles[0].Height)
		}
	}
	cur := append([]uint32(nil), rles[0].Counts...)
	for _, b := range rles[1:] {
		cur = mergeTwo(cur, b.Counts, intersect)
	}
	return &RLE{Height: rles[0].Height, Width: rles[0].Width, Counts: cur}, nil
}

// mergeTwo combines two run lists of the same total length.
func mergeTwo(a, b []uint32, intersect bool) []uint32 {
	if len(a) == 0 || len(b) == 0 { // zero-pixel masks
		return []uint32{0}
	}
	out := make([]uint32, 0, len(a)+len(b))
	ca, cb := a[0], b[0]
	ia, ib := 1, 1
	va, vb, v := false, false, false
	var cc uint32
	for ct := uint32(1); ct > 0; {
		c := min(ca, cb)
		cc += c
		ct = 0
		ca -= c
		if ca == 0 && ia < len(a) {
			ca = a[ia]
			ia++
			va = !va
		}
		ct += ca
		cb -= c
		if cb == 0 && ib < len(b) {
			cb = b[ib]
			ib++
			vb = !vb
		}
		ct += cb
		vp := v
		if intersect {
			v = va && vb
		} else {
			v = va || vb
		}
		if v != vp || ct == 0 {
			out = append(out, cc)
			cc = 0
		}
	}
	return out
}

// IoU returns the intersection over union of two masks of the same size, as pycocotools' iou
// does: when crowd is true the union is the area of dt alone (the crowd rule for a ground-truth
// crowd region gt). It is 0 when the masks do not overlap.
func IoU(dt, gt *RLE, crowd bool) (float64, error) {
	inter, err := Intersection(dt, gt)
	if err != nil {
		return 0, fmt.Errorf("iou: %w", err)
	}
	i := inter.Area()
	if i == 0 {
		return 0, nil
	}
	u := dt.Area() + gt.Area() - i
	if crowd {
		u = dt.Area()
	}
	return float64(i) / float64(u), nil
}
