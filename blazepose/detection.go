package blazepose

import (
	"fmt"
	"math"
	"sort"
)

// DetectorInputSize is the side of the square image the pose detector takes.
const DetectorInputSize = 224

// Detector output layout: per anchor, a box (x centre, y centre, w, h) and 4 key points (x, y),
// all in input pixels relative to the anchor, and one score logit.
const (
	detCoords    = 12
	detKeypoints = 4
)

// Detection is one person found by the detector, in detector-input coordinates normalised to
// [0, 1]. Keypoints[0] is the hip centre, Keypoints[1] a point whose distance to it gives the
// body size (the pair sets the landmark crop), Keypoints[2] and [3] the same for the upper body.
type Detection struct {
	XMin, YMin, XMax, YMax float64
	Score                  float64
	Keypoints              [detKeypoints][2]float64
}

// DecodeDetections turns the detector's raw outputs (boxes [n, 12], score logits [n]) into the
// detections scoring at least minScore, as MediaPipe's TensorsToDetectionsCalculator does for
// this model (scores clipped to ±100 before the sigmoid).
func DecodeDetections(boxes, scores []float32, anchors []Anchor, minScore float64) ([]Detection, error) {
	n := len(anchors)
	if len(boxes) != n*detCoords || len(scores) != n {
		return nil, fmt.Errorf("blazepose detections: %d box values and %d scores for %d anchors", len(boxes), len(scores), n)
	}
	const s = DetectorInputSize
	var out []Detection
	for i, a := range anchors {
		logit := math.Max(-100, math.Min(100, float64(scores[i])))
		score := sigmoid(logit)
		if score < minScore {
			continue
		}
		r := boxes[i*detCoords : (i+1)*detCoords]
		cx := float64(r[0])/s*a.W + a.X
		cy := float64(r[1])/s*a.H + a.Y
		w := float64(r[2]) / s * a.W
		h := float64(r[3]) / s * a.H
		d := Detection{XMin: cx - w/2, YMin: cy - h/2, XMax: cx + w/2, YMax: cy + h/2, Score: score}
		for k := 0; k < detKeypoints; k++ {
			d.Keypoints[k] = [2]float64{float64(r[4+2*k])/s*a.W + a.X, float64(r[5+2*k])/s*a.H + a.Y}
		}
		out = append(out, d)
	}
	return out, nil
}

// iou is the intersection over union of two detections' boxes.
func iou(a, b Detection) float64 {
	ix := math.Max(0, math.Min(a.XMax, b.XMax)-math.Max(a.XMin, b.XMin))
	iy := math.Max(0, math.Min(a.YMax, b.YMax)-math.Max(a.YMin, b.YMin))
	inter := ix * iy
	union := (a.XMax-a.XMin)*(a.YMax-a.YMin) + (b.XMax-b.XMin)*(b.YMax-b.YMin) - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

// WeightedNMS merges overlapping detections as MediaPipe's weighted non-max suppression: the
// best remaining detection absorbs every remaining one overlapping it by more than threshold
// (IoU); the merged box and key points are their score-weighted mean, the score the best's.
func WeightedNMS(dets []Detection, threshold float64) []Detection {
	rest := append([]Detection(nil), dets...)
	sort.SliceStable(rest, func(i, j int) bool { return rest[i].Score > rest[j].Score })
	var out []Detection
	for len(rest) > 0 {
		best := rest[0]
		var keep, group []Detection
		for i, d := range rest {
			if i == 0 || iou(best, d) > threshold {
				group = append(group, d)
			} else {
				keep = append(keep, d)
			}
		}
		out = append(out, mergeWeighted(group))
		rest = keep
	}
	return out
}

// mergeWeighted returns the score-weighted mean of a group (first = best) with the best's score.
func mergeWeighted(group []Detection) Detection {
	if len(group) == 1 {
		return group[0]
	}
	var m Detection
	total := 0.0
	for _, d := range group {
		total += d.Score
		m.XMin += d.Score * d.XMin
		m.YMin += d.Score * d.YMin
		m.XMax += d.Score * d.XMax
		m.YMax += d.Score * d.YMax
		for k := range m.Keypoints {
			m.Keypoints[k][0] += d.Score * d.Keypoints[k][0]
			m.Keypoints[k][1] += d.Score * d.Keypoints[k][1]
		}
	}
	m.XMin, m.YMin, m.XMax, m.YMax = m.XMin/total, m.YMin/total, m.XMax/total, m.YMax/total
	for k := range m.Keypoints {
		m.Keypoints[k][0] /= total
		m.Keypoints[k][1] /= total
	}
	m.Score = group[0].Score
	return m
}
