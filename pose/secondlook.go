package pose

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/posedistill/posedistill/dataset"
)

// A second look at people standing beside someone already found (BlazePose). The landmark
// model is a single-person model: when two people stand close, the crop of the less salient one
// also holds the other, the model poses the other (on vtest.avi frame 100, the woman walking
// away beside a man who faces the camera), and the pose is dropped as a duplicate; the detector
// also scores such a person low (0.38 for that woman, below its 0.5 threshold). So a detection
// whose pose was dropped as a duplicate, or a weaker one (DetectorConfig.MinScoreBeside), whose
// face lies in the crop of a person found and away from every found person's face, gets a
// second look, unless its face lies on a found person's segmentation (a hand, a knee, the back
// of a head: this skips most candidates on crowded photos): the landmark model runs again on its
// crop with the people found painted out (their segmentation masks filled with grey), and the
// pose it then gives is kept when its face is the detection's, it does not lie on the paint, and
// it is not a duplicate either.

const (
	// faceApart is the distance between a detection's face centre and the face of the person its
	// pose duplicated, relative to the detection's body size, above which the detection is
	// someone else (the detector's NMS across tiles merges faces closer than 0.1 × body size).
	faceApart = 0.15
	// faceMatch is the largest distance, relative to the detection's body size, between the face
	// of the pose the second look gives and the detection's face. Measured on opencv-doc's
	// photos and vtest.avi frames 100 and 400: 0.07–0.09 for the woman of frame 100 (lite, full,
	// heavy), 0.14 and more for the poses the models invent elsewhere.
	faceMatch = 0.12
	// maskThreshold is the segmentation probability above which a pixel belongs to a person
	// painted out.
	maskThreshold = 0.5
	// maxOnMask is the largest fraction of a second look's confident keypoints that may lie on
	// the people painted out (a pose on the paint is a painted person again).
	maxOnMask = 0.3
)

// maskGrey is the grey level the people already found are painted with (mid grey: black
// patches made the landmark model miss the person beside them).
const maskGrey = 128

// lookAgain gives a second look to the detections among found whose pose was dropped as a
// duplicate of someone else, and to the weak detections (below Detector.MinScore) whose face
// lies in the crop of a person found, and returns kept with the people it finds, most confident
// first (at most MaxPeople with have). Only BlazePose has the segmentation it needs: other
// models get kept back.
func (e *Estimator) lookAgain(ctx context.Context, img image.Image, found []Person, weak []region, kept, have []Person) ([]Person, error) {
	if e.kind != kindBlazePose {
		return kept, nil
	}
	var candidates []region
	for _, p := range found {
		if p.from.detected && !isAmong(p, kept) {
			candidates = append(candidates, p.from)
		}
	}
	candidates = append(candidates, weak...)
	bounds := img.Bounds()
	added := false
	var masked image.Image // img with others painted out
	repaint := true        // others changed since masked was painted
	for _, c := range candidates {
		if len(have)+len(kept) >= e.opts.MaxPeople {
			break
		}
		others := append(append([]Person(nil), have...), kept...)
		if !besideSomeone(c, others) {
			continue
		}
		if repaint {
			var err error
			if masked, err = paintOut(img, others); err != nil {
				return nil, err
			}
			repaint = false
		}
		if onPaint(masked, c.face) {
			continue // the face is part of someone found (a hand, a knee, the back of a head)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e.mu.Lock()
		r, ok, err := e.estimateOne(ctx, masked, c)
		e.mu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("pose: second look at the person whose face is at %.0f: %w", c.face, err)
		}
		if !ok {
			continue
		}
		rf, ok := faceCentre(r)
		if !ok || math.Hypot(c.face[0]-rf[0], c.face[1]-rf[1]) > faceMatch*c.box[2] || onMask(r, masked) > maxOnMask ||
			overlapsAny(r, others, e.opts.MaxOverlap, bounds) {
			continue
		}
		r.from = c
		kept = append(kept, r)
		added, repaint = true, true
	}
	if added {
		sortByScore(kept)
	}
	return kept, nil
}

// besideSomeone reports whether detection c is worth a second look among the people found: its
// face lies in the crop box of one of them and is farther than faceApart × its body size from
// every one's face.
func besideSomeone(c region, people []Person) bool {
	in := false
	for _, q := range people {
		b := trackBox(q)
		if c.face[0] >= b[0] && c.face[0] <= b[0]+b[2] && c.face[1] >= b[1] && c.face[1] <= b[1]+b[3] {
			in = true
		}
		if f, ok := faceCentre(q); ok && math.Hypot(c.face[0]-f[0], c.face[1]-f[1]) <= faceApart*c.box[2] {
			return false
		}
	}
	return in
}

// isAmong reports whether p (a pose of found) is one of kept: the same region gave both.
func isAmong(p Person, kept []Person) bool {
	for _, q := range kept {
		if q.from == p.from {
			return true
		}
	}
	return false
}

// faceCentre is the mean position of a person's COCO-17 head keypoints (nose, eyes, ears); ok is
// false when the person has none with finite coordinates.
func faceCentre(p Person) (c [2]float64, ok bool) {
	n := 0
	for _, k := range p.Keypoints[:min(5, len(p.Keypoints))] {
		if finite(k.X, k.Y) {
			c[0], c[1], n = c[0]+k.X, c[1]+k.Y, n+1
		}
	}
	if n == 0 {
		return c, false
	}
	return [2]float64{c[0] / float64(n), c[1] / float64(n)}, true
}

// paintOut returns img with the BlazePose people among people painted mid grey.
func paintOut(img image.Image, people []Person) (image.Image, error) {
	b := img.Bounds()
	var m *dataset.Mask
	for _, q := range people {
		if q.BlazePose == nil || q.BlazePose.Pose == nil {
			continue
		}
		// The mask is indexed from (0, 0): cover every pixel of the image's bounds.
		qm, err := q.BlazePose.Mask(b.Max.X, b.Max.Y, maskThreshold)
		if err != nil {
			return nil, fmt.Errorf("paint out the person at %.0f: %w", q.Box, err)
		}
		if m == nil {
			m = qm
			continue
		}
		for i, v := range qm.Pix {
			m.Pix[i] |= v
		}
	}
	if m == nil {
		return img, nil
	}
	return maskedImage{Image: img, mask: m}, nil
}

// maskedImage is an image whose pixels set in mask read as mid grey.
type maskedImage struct {
	image.Image
	mask *dataset.Mask
}

// At returns mid grey where the mask is set, the image's colour elsewhere.
func (m maskedImage) At(x, y int) color.Color {
	if x >= 0 && y >= 0 && x < m.mask.Width && y < m.mask.Height && m.mask.Pix[y*m.mask.Width+x] != 0 {
		return color.RGBA{maskGrey, maskGrey, maskGrey, 255}
	}
	return m.Image.At(x, y)
}

// onMask returns the fraction of p's confident keypoints (at least 0.5) that lie on the
// painted-out pixels of img (0 when img is not painted; 1 when p has no confident keypoint).
func onMask(p Person, img image.Image) float64 {
	m, ok := img.(maskedImage)
	if !ok {
		return 0
	}
	n, in := 0, 0
	for _, k := range p.Keypoints {
		if k.Score < 0.5 || !finite(k.X, k.Y) {
			continue
		}
		n++
		x, y := int(k.X), int(k.Y)
		if x >= 0 && y >= 0 && x < m.mask.Width && y < m.mask.Height && m.mask.Pix[y*m.mask.Width+x] != 0 {
			in++
		}
	}
	if n == 0 {
		return 1
	}
	return float64(in) / float64(n)
}

// onPaint reports whether the pixel at pt is painted out in img (a paintOut image).
func onPaint(img image.Image, pt [2]float64) bool {
	m, ok := img.(maskedImage)
	if !ok || !finite(pt[0], pt[1]) {
		return false
	}
	x, y := int(math.Floor(pt[0])), int(math.Floor(pt[1]))
	return x >= 0 && y >= 0 && x < m.mask.Width && y < m.mask.Height && m.mask.Pix[y*m.mask.Width+x] != 0
}
