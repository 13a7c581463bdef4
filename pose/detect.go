package pose

import (
	"context"
	"fmt"
	"image"
	"math"
	"sort"

	"github.com/posedistill/posedistill/blazepose"
)

// Detection is one person found by the people detector.
type Detection struct {
	// Box is the person's body box [x, y, w, h] in image pixels: a square centred on the hips
	// whose side is the body size the detector estimates (about the standing height).
	Box [4]float64
	// Score is the detector's confidence in [0, 1].
	Score float64
	// ROI is the crop BlazePose's landmark model takes for this person (rotated so that the
	// body points up; 1.25 × the body size).
	ROI blazepose.Rect
	// Face is the centre of the detector's face box, in image pixels (non-maximum suppression
	// across tiles compares faces: bodies of people side by side overlap, faces rarely do).
	Face [2]float64
	// From is the detector that found the person ("" and DetectBlazePose: BlazePose's).
	From PeopleDetector
}

// DetectorConfig configures the people detector. MinScore, MinScoreBeside, Tiles, Overlap and
// NMSThreshold configure BlazePose's detector (People DetectBlazePose or DetectBoth);
// MinMultiPoseScore and MultiPoseSizes configure MultiPose's (DetectMultiPose or DetectBoth).
type DetectorConfig struct {
	// People is what finds the people for a single-person model ("": DefaultPeopleDetector).
	// MoveNet MultiPose finds people by itself and takes only "" or DetectMultiPose.
	People PeopleDetector
	// MinMultiPoseScore is the lowest MultiPose pose score that makes a person for the people
	// detector (0.25, MultiPose's own, when zero).
	MinMultiPoseScore float64
	// MultiPoseSizes are the longer sides (multiples of 32) MultiPose resizes an image to when it
	// detects people, once each (nil: 256 doubled up to the image's longer side, at most 1024).
	MultiPoseSizes []int
	// MinScore is the lowest detection score kept (0.5, MediaPipe's, when zero).
	MinScore float64
	// MinScoreBeside is the lowest score of a detection whose face lies in the crop of a person
	// already found, for BlazePose (0.3 when zero; negative: none). Such a detection gets only
	// a second look, with the people found painted out (see Estimator.Estimate): the detector
	// scores a person standing beside another low (on vtest.avi frame 100, 0.38 for a woman
	// walking away beside a man who faces the camera), and elsewhere a score this low is mostly
	// background.
	MinScoreBeside float64
	// Tiles are the sides (pixels) of the square tiles scanned besides the whole image, each
	// tiling the image with an overlap of Overlap: people small in the image are found in tiles
	// (the detector finds people about 80–250 pixels tall in its 224-pixel input). Nil means
	// automatic: a half, a quarter and a sixth of the image's longer side, each when at least 128
	// pixels (a 768×576 frame: 1 + 6 + 20 + 48 detector runs). An empty non-nil list scans only the whole image
	// (as MediaPipe does).
	Tiles []int
	// Overlap is the fraction of a tile's side that neighbouring tiles share, in [0, 0.9] (0.25
	// when zero; negative means no overlap). The detector keys on faces and its score for one
	// person changes much with where the person sits in the window (on vtest.avi frame 100, a
	// woman walking away scored 0.38 centred in one tile and 0.84 at the edge of another): more
	// overlap gives everyone more chances, and the background more chances of a false person.
	Overlap float64
	// NMSThreshold is the distance between face centres, relative to the smaller body size,
	// below which two detections (from overlapping windows) are the same person (0.1 when zero).
	NMSThreshold float64
}

func (c DetectorConfig) withDefaults() DetectorConfig {
	if c.People == "" {
		c.People = DefaultPeopleDetector
	}
	if c.MinMultiPoseScore == 0 {
		c.MinMultiPoseScore = 0.25
	}
	if c.MinScore == 0 {
		c.MinScore = 0.5
	}
	if c.NMSThreshold == 0 {
		c.NMSThreshold = 0.1
	}
	if c.MinScoreBeside == 0 {
		c.MinScoreBeside = 0.3
	}
	switch {
	case c.Overlap == 0:
		c.Overlap = 0.25
	case c.Overlap < 0:
		c.Overlap = 0
	}
	return c
}

func (c DetectorConfig) check() error {
	if !(c.MinScore > 0 && c.MinScore < 1) {
		return fmt.Errorf("detector: min score %v is not in (0, 1)", c.MinScore)
	}
	if !(c.MinScoreBeside < 1) {
		return fmt.Errorf("detector: min score beside a person %v is not below 1", c.MinScoreBeside)
	}
	if !(c.NMSThreshold > 0 && c.NMSThreshold <= 1) {
		return fmt.Errorf("detector: NMS threshold %v is not in (0, 1]", c.NMSThreshold)
	}
	if !(c.Overlap >= 0 && c.Overlap <= 0.9) {
		return fmt.Errorf("detector: tile overlap %v is not in [0, 0.9]", c.Overlap)
	}
	if _, err := ParsePeopleDetector(string(c.People)); err != nil {
		return fmt.Errorf("detector: %w", err)
	}
	if !(c.MinMultiPoseScore > 0 && c.MinMultiPoseScore < 1) {
		return fmt.Errorf("detector: min multipose score %v is not in (0, 1)", c.MinMultiPoseScore)
	}
	for _, s := range c.MultiPoseSizes {
		if s < 32 || s%32 != 0 || s > 4096 {
			return fmt.Errorf("detector: multipose size %d is not a multiple of 32 in 32–4096", s)
		}
	}
	for _, t := range c.Tiles {
		if t < 32 {
			return fmt.Errorf("detector: tile side %d is below 32 pixels", t)
		}
	}
	return nil
}

// windows returns the regions the detector scans in an image of the given bounds: the whole
// image, letterboxed, then the tiles of each configured side (c has its defaults).
func (c DetectorConfig) windows(b image.Rectangle) []blazepose.Rect {
	long := max(b.Dx(), b.Dy())
	tiles := c.Tiles
	if tiles == nil {
		for _, div := range []int{2, 4, 6} {
			if long/div >= 128 {
				tiles = append(tiles, long/div)
			}
		}
	}
	out := blazepose.DetectionWindows(b, 0)
	for _, t := range tiles {
		if t < long {
			out = append(out, tileWindows(b, t, c.Overlap)...)
		}
	}
	return out
}

// tileWindows tiles bounds with squares of the given side (smaller than the longer side), the
// neighbours along each axis sharing at least overlap × side, the first and last flush with the
// image's edges (an axis shorter than side gets one square, centred).
func tileWindows(b image.Rectangle, side int, overlap float64) []blazepose.Rect {
	s := float64(side)
	centres := func(n int) []float64 {
		if float64(n) <= s {
			return []float64{float64(n) / 2}
		}
		k := int(math.Ceil((float64(n)-s)/((1-overlap)*s))) + 1 // windows along the axis
		step := (float64(n) - s) / float64(k-1)
		out := make([]float64, k)
		for i := range out {
			out[i] = s/2 + float64(i)*step
		}
		return out
	}
	var out []blazepose.Rect
	for _, cy := range centres(b.Dy()) {
		for _, cx := range centres(b.Dx()) {
			out = append(out, blazepose.Rect{CX: float64(b.Min.X) + cx, CY: float64(b.Min.Y) + cy, W: s, H: s})
		}
	}
	return out
}

// lowestScore is the lowest detection score the detector keeps: MinScoreBeside when beside
// (detections beside people are wanted) and it is positive and below MinScore, else MinScore.
func (c DetectorConfig) lowestScore(beside bool) float64 {
	if beside && c.MinScoreBeside > 0 && c.MinScoreBeside < c.MinScore {
		return c.MinScoreBeside
	}
	return c.MinScore
}

// detect runs BlazePose's person detector over the whole image and tiles and merges the
// detections across windows, best first; each returned detection also has its body box. It
// keeps the detections scoring at least c.lowestScore(beside).
func detect(ctx context.Context, det *blazepose.Detector, img image.Image, c DetectorConfig, beside bool) ([]Detection, error) {
	if img.Bounds().Empty() {
		return nil, fmt.Errorf("detector: empty image")
	}
	det.MinScore = c.lowestScore(beside)
	det.NMSThreshold = math.Inf(1) // merged below, those above MinScore apart from the weaker
	var all []Detection
	for _, w := range c.windows(img.Bounds()) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dets, err := det.Run(ctx, blazepose.Crop(img, w, blazepose.DetectorInputSize, -1, 1))
		if err != nil {
			return nil, err
		}
		// Weaker detections must not move the stronger ones they overlap (MediaPipe's weighted
		// NMS averages a group's boxes): those scoring MinScore or more come out as they would
		// without the weaker ones.
		n := sort.Search(len(dets), func(i int) bool { return dets[i].Score < c.MinScore })
		for _, d := range append(blazepose.WeightedNMS(dets[:n], windowNMS), blazepose.WeightedNMS(dets[n:], windowNMS)...) {
			all = append(all, detectionFrom(d, w))
		}
	}
	return suppress(all, c.NMSThreshold), nil
}

// windowNMS is the IoU above which detections in one window are merged (MediaPipe's weighted
// non-maximum suppression, threshold 0.3).
const windowNMS = 0.3

// detectionFrom converts a detection made in window w.
func detectionFrom(d blazepose.Detection, w blazepose.Rect) Detection {
	const s = blazepose.DetectorInputSize
	roi := blazepose.DetectionROI(d, w)
	body := roi.W / blazepose.ROIScale
	fx, fy := w.ToImage((d.XMin+d.XMax)/2*s, (d.YMin+d.YMax)/2*s, s)
	return Detection{
		Box:   [4]float64{roi.CX - body/2, roi.CY - body/2, body, body},
		Score: d.Score,
		ROI:   roi,
		Face:  [2]float64{fx, fy},
	}
}

// suppress keeps the best of every group of detections whose face centres are closer than
// threshold × the smaller body size, best first.
func suppress(dets []Detection, threshold float64) []Detection {
	sort.SliceStable(dets, func(i, j int) bool { return dets[i].Score > dets[j].Score })
	var out []Detection
	for _, d := range dets {
		dup := false
		for _, k := range out {
			dup = dup || sameFace(d, k, threshold)
		}
		if !dup {
			out = append(out, d)
		}
	}
	return out
}

// roiFromBox returns the upright square landmark crop of a person box [x, y, w, h]: centred on
// the box, side 1.25 × its longer side.
func roiFromBox(b [4]float64) blazepose.Rect {
	side := math.Max(b[2], b[3]) * blazepose.ROIScale
	return blazepose.Rect{CX: b[0] + b[2]/2, CY: b[1] + b[3]/2, W: side, H: side}
}
