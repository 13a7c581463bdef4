package pose

import (
	"context"
	"fmt"
	"image"
	"math"
	"sort"

	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/movenet"
)

// PeopleDetector names what finds the people whose crops a single-person model poses.
type PeopleDetector string

const (
	// DetectBlazePose is BlazePose's person detector over the whole image and tiles.
	DetectBlazePose PeopleDetector = "blazepose"
	// DetectMultiPose is MoveNet MultiPose over the whole image at a few scales: each of its
	// poses gives a person box.
	DetectMultiPose PeopleDetector = "multipose"
	// DetectBoth runs both and merges their people (a MultiPose person whose face is a BlazePose
	// detection's is that detection).
	DetectBoth PeopleDetector = "both"
)

// DefaultPeopleDetector is the people detector used when none is chosen. Chosen by people found
// and false people on opencv-doc's photos and vtest.avi frames 100 and 400 with BlazePose-lite,
// -full, -heavy, MoveNet Thunder and the zoo's student (README, "Any model on photos, video and
// the web"): MultiPose found 64 of the 65 clearly visible people and the 35-pixel person far
// behind in frame 100 with every model, and no false person; BlazePose's detector 62 of 65, none
// of the far ones, and 22 false people (tripods, a cloth, spectators, second poses); both
// together 63 and 22.
const DefaultPeopleDetector = DetectMultiPose

// ParsePeopleDetector checks a people detector's name ("" is DefaultPeopleDetector).
func ParsePeopleDetector(s string) (PeopleDetector, error) {
	switch d := PeopleDetector(s); d {
	case "":
		return DefaultPeopleDetector, nil
	case DetectBlazePose, DetectMultiPose, DetectBoth:
		return d, nil
	}
	return "", fmt.Errorf("people detector %q: want blazepose, multipose or both", s)
}

// blazePose reports whether BlazePose's detector is among d's.
func (d PeopleDetector) blazePose() bool { return d == DetectBlazePose || d == DetectBoth }

// multiPose reports whether MoveNet MultiPose is among d's.
func (d PeopleDetector) multiPose() bool { return d == DetectMultiPose || d == DetectBoth }

const (
	// multiPoseKeypoint is the keypoint confidence above which a MultiPose keypoint places a
	// person's box (MultiPose's keypoints on people 60–80 pixels tall score 0.2–0.6).
	multiPoseKeypoint = 0.2
	// headMargin enlarges the farthest keypoint's distance from the hips to the body's radius:
	// the top of the head lies above the eyes and ears.
	headMargin = 1.15
	// crossNMS is the distance between the face centres of a MultiPose person and a BlazePose
	// detection, relative to the smaller body size, below which they are one person. Larger
	// than NMSThreshold (two estimates of a face, not one detector's in two windows), smaller
	// than the faces of two people walking side by side (0.35 of the body size on vtest.avi
	// frame 100).
	crossNMS = 0.2
)

// multiPoseSizes returns the longer sides MultiPose resizes an image of the given bounds to when
// it detects people: the configured ones, else 256 (MultiPose's own, for people filling the
// image) doubled while below the image's longer side, the last one that side rounded up to a
// multiple of 32 (at most 1024): MultiPose at 256 finds no one 70 pixels tall in a 768×576
// frame, at 768 it finds them all.
func (c DetectorConfig) multiPoseSizes(b image.Rectangle) []int {
	if c.MultiPoseSizes != nil {
		return c.MultiPoseSizes
	}
	long := min(max(b.Dx(), b.Dy()), 1024)
	sizes := []int{256}
	for s := 512; ; s *= 2 {
		last := sizes[len(sizes)-1]
		if last >= long {
			break
		}
		sizes = append(sizes, min(s, (long+31)/32*32))
	}
	return sizes
}

// detectMultiPose runs MultiPose on img at each of c's sizes and returns a detection for each
// person (poses scoring at least c.MinMultiPoseScore), people found at several sizes once (the
// best), best first.
func detectMultiPose(ctx context.Context, mp *movenet.Estimator, img image.Image, c DetectorConfig) ([]Detection, error) {
	mp.MinPoseScore = c.MinMultiPoseScore
	var all []Detection
	for _, s := range c.multiPoseSizes(img.Bounds()) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		mp.MultiPoseMaxDimension = s
		people, err := mp.Estimate(ctx, img)
		if err != nil {
			return nil, fmt.Errorf("multipose at %d: %w", s, err)
		}
		for _, p := range people {
			if d, ok := detectionFromMultiPose(p); ok {
				all = append(all, d)
			}
		}
	}
	return suppress(all, crossNMS), nil
}

// detectionFromMultiPose turns a MultiPose pose into a detection as BlazePose's detector gives
// one: the body box a square centred on the hips whose side is twice the body's radius (the
// farthest confident keypoint from the hips, enlarged by headMargin; at least half the pose box's
// longer side), the landmark crop 1.25 × that, rotated so that the hips-to-shoulders direction
// points up, and the face the mean of the confident face keypoints. ok is false when fewer than
// two keypoints are confident.
func detectionFromMultiPose(p movenet.Person) (Detection, bool) {
	conf := func(k int) bool {
		return p.Keypoints[k][2] >= multiPoseKeypoint && finite(p.Keypoints[k][0], p.Keypoints[k][1])
	}
	mid := func(a, b int) (float64, float64) {
		return (p.Keypoints[a][0] + p.Keypoints[b][0]) / 2, (p.Keypoints[a][1] + p.Keypoints[b][1]) / 2
	}
	n := 0
	for k := range p.Keypoints {
		if conf(k) {
			n++
		}
	}
	if n < 2 || !finite(p.Box[:]...) {
		return Detection{}, false
	}
	const lHip, rHip, lShoulder, rShoulder = 11, 12, 5, 6
	hx, hy := p.Box[0]+p.Box[2]/2, p.Box[1]+p.Box[3]/2
	if conf(lHip) && conf(rHip) {
		hx, hy = mid(lHip, rHip)
	}
	radius := math.Max(p.Box[2], p.Box[3]) / 2
	for k := range p.Keypoints {
		if conf(k) {
			radius = math.Max(radius, headMargin*math.Hypot(p.Keypoints[k][0]-hx, p.Keypoints[k][1]-hy))
		}
	}
	rot := 0.0 // upright unless the torso says otherwise
	if conf(lShoulder) && conf(rShoulder) && conf(lHip) && conf(rHip) {
		sx, sy := mid(lShoulder, rShoulder)
		if math.Hypot(sx-hx, sy-hy) > 0 {
			rot = math.Pi/2 - math.Atan2(-(sy-hy), sx-hx)
			rot -= 2 * math.Pi * math.Floor((rot+math.Pi)/(2*math.Pi))
		}
	}
	fx, fy, nf := 0.0, 0.0, 0
	for k := range 5 { // nose, eyes, ears
		if conf(k) {
			fx, fy, nf = fx+p.Keypoints[k][0], fy+p.Keypoints[k][1], nf+1
		}
	}
	if nf > 0 {
		fx, fy = fx/float64(nf), fy/float64(nf)
	} else { // the top of the body's circle, less a head
		s, c := math.Sincos(rot)
		fx, fy = hx+0.8*radius*s, hy-0.8*radius*c
	}
	side := 2 * radius
	return Detection{
		Box:   [4]float64{hx - radius, hy - radius, side, side},
		Score: p.Score,
		ROI:   blazepose.Rect{CX: hx, CY: hy, W: side * blazepose.ROIScale, H: side * blazepose.ROIScale, Rotation: rot},
		Face:  [2]float64{fx, fy},
		From:  DetectMultiPose,
	}, true
}

// sameFace reports whether detections a and b have faces closer than threshold × the smaller
// body size.
func sameFace(a, b Detection, threshold float64) bool {
	return math.Hypot(a.Face[0]-b.Face[0], a.Face[1]-b.Face[1]) < threshold*math.Min(a.Box[2], b.Box[2])
}

// mergePeople merges BlazePose's detections (best first, those below minScore weak) with
// MultiPose's: BlazePose's strong ones, then MultiPose's that are none of them, then BlazePose's
// weak ones that none of the former is. A MultiPose person is strong at any score (its scores are
// on another scale).
func mergePeople(blaze, multi []Detection, minScore float64) []Detection {
	n := sort.Search(len(blaze), func(i int) bool { return blaze[i].Score < minScore })
	out := append([]Detection(nil), blaze[:n]...)
	for _, m := range multi {
		dup := false
		for _, b := range blaze[:n] {
			dup = dup || sameFace(m, b, crossNMS)
		}
		if !dup {
			out = append(out, m)
		}
	}
	for _, w := range blaze[n:] {
		dup := false
		for _, d := range out[n:] {
			dup = dup || sameFace(w, d, crossNMS)
		}
		if !dup {
			out = append(out, w)
		}
	}
	return out
}
