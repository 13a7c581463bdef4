package blazepose

import (
	"context"
	"fmt"
	"image"
	"sort"
)

// TrackerConfig configures a Tracker.
type TrackerConfig struct {
	// MinPoseScore is the pose flag below which a track is lost (and a detection rejected);
	// MediaPipe uses 0.5. 0.5 when zero.
	MinPoseScore float64
	// MaxPeople bounds the number of tracks (each costs one landmark inference per frame). 1,
	// MediaPipe's single-person tracking, when zero.
	MaxPeople int
	// DetectEvery re-runs the detector every DetectEvery frames while tracking, to pick up people
	// who enter the scene (0: only when there are fewer tracks than MaxPeople and one was lost, or
	// none exists, as MediaPipe does).
	DetectEvery int
	// DetectTile is the side (pixels) of the square tiles the detector scans (see
	// DetectionWindows); 0 scans the whole image at once, as MediaPipe does.
	DetectTile int
	// Memory is how many frames a lost track's id is kept: a person detected again within that
	// many frames where the track was last seen (box IoU above 0.3) gets the old id back. 10
	// when zero; negative disables it.
	Memory int
	// MaxOverlap is the box IoU above which two poses are the same person: a detection that
	// overlaps a track this much is not a new person, and of two tracks that converge the
	// younger is dropped. 0.5 when zero.
	MaxOverlap float64
}

func (c TrackerConfig) withDefaults() TrackerConfig {
	if c.MinPoseScore == 0 {
		c.MinPoseScore = 0.5
	}
	if c.MaxPeople == 0 {
		c.MaxPeople = 1
	}
	if c.Memory == 0 {
		c.Memory = 10
	}
	if c.MaxOverlap == 0 {
		c.MaxOverlap = 0.5
	}
	return c
}

// Tracked is a person found in a video frame with the identity of its track.
type Tracked struct {
	Person
	// TrackID identifies the person across frames (1, 2, … in order of first appearance).
	TrackID int64
	// Detected is true when the detector found the person in this frame, false when the
	// previous frame's landmarks placed the crop.
	Detected bool
}

// nmsIoU is the IoU above which two detections from overlapping windows are the same person.
const nmsIoU = 0.3

// reidIoU is the box IoU above which a new detection takes over a recently lost track's id.
const reidIoU = 0.3

// track is the state of one followed person: where to look in the next frame, and where it was.
type track struct {
	id    int64
	roi   Rect
	box   [4]float64
	frame int // last frame the person was seen in
}

// Tracker follows people through the frames of a video as MediaPipe's pose tracking does: the
// landmarks of a frame give the next frame's crop (Person.LandmarksROI), and the detector runs
// only when no track is left, a track was lost (pose flag below MinPoseScore) or, optionally,
// every DetectEvery frames. A person found again soon where a track was lost gets its id back
// (Memory). It is not safe for concurrent use.
type Tracker struct {
	pipe   *Pipeline
	cfg    TrackerConfig
	tracks []track
	gone   []track // recently lost tracks, for re-identification
	nextID int64
	frame  int
	lost   bool
}

// NewTracker returns a tracker running pipe.
func NewTracker(pipe *Pipeline, cfg TrackerConfig) (*Tracker, error) {
	cfg = cfg.withDefaults()
	if pipe == nil || pipe.Detector == nil || pipe.Landmarker == nil {
		return nil, fmt.Errorf("blazepose tracker: incomplete pipeline")
	}
	if cfg.DetectTile < 0 || !(cfg.MinPoseScore > 0 && cfg.MinPoseScore < 1) || cfg.MaxPeople < 0 || cfg.DetectEvery < 0 ||
		!(cfg.MaxOverlap > 0 && cfg.MaxOverlap <= 1) {
		return nil, fmt.Errorf("blazepose tracker: bad config %+v", cfg)
	}
	return &Tracker{pipe: pipe, cfg: cfg, nextID: 1}, nil
}

// Step processes the next frame and returns the people in it: those followed from the previous
// frame, then those the detector found.
func (t *Tracker) Step(ctx context.Context, img image.Image) ([]Tracked, error) {
	if img.Bounds().Empty() {
		return nil, fmt.Errorf("blazepose tracker: frame %d is empty", t.frame)
	}
	var out []Tracked
	var kept []track
	for _, tr := range t.tracks {
		p, err := t.pipe.Landmarks(ctx, img, tr.roi)
		if err != nil {
			return nil, fmt.Errorf("frame %d, track %d: %w", t.frame, tr.id, err)
		}
		if p.Pose.Score < t.cfg.MinPoseScore || t.overlaps(p, out) {
			t.lost = true
			t.gone = append(t.gone, tr)
			continue
		}
		out = append(out, Tracked{Person: p, TrackID: tr.id})
		kept = append(kept, tr)
	}
	t.tracks = kept
	detect := len(t.tracks) < t.cfg.MaxPeople && (len(t.tracks) == 0 || t.lost)
	if t.cfg.DetectEvery > 0 && t.frame%t.cfg.DetectEvery == 0 {
		detect = detect || len(t.tracks) < t.cfg.MaxPeople
	}
	if detect {
		t.lost = false
		found, err := t.detect(ctx, img, out)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", t.frame, err)
		}
		out = append(out, found...)
	}
	// Every kept or new track looks next where its landmarks say.
	t.tracks = t.tracks[:0]
	next := out[:0]
	for _, p := range out {
		roi, ok := p.LandmarksROI()
		box, _ := BBox(p.Landmarks, 0)
		tr := track{id: p.TrackID, roi: roi, box: box, frame: t.frame}
		if !ok {
			t.lost = true
			t.gone = append(t.gone, tr)
			continue
		}
		t.tracks = append(t.tracks, tr)
		next = append(next, p)
	}
	keep := t.gone[:0]
	for _, g := range t.gone {
		if t.frame-g.frame < t.cfg.Memory {
			keep = append(keep, g)
		}
	}
	t.gone = keep
	t.frame++
	return next, nil
}

// detect runs the detector and starts tracks for the people it finds that no current track
// follows, best detection first, up to MaxPeople tracks.
func (t *Tracker) detect(ctx context.Context, img image.Image, have []Tracked) ([]Tracked, error) {
	type candidate struct {
		det    Detection
		window Rect
		box    [4]float64
	}
	var cands []candidate
	for _, w := range DetectionWindows(img.Bounds(), t.cfg.DetectTile) {
		dets, err := t.pipe.Detector.Run(ctx, Crop(img, w, DetectorInputSize, -1, 1))
		if err != nil {
			return nil, err
		}
		for _, d := range dets {
			cands = append(cands, candidate{d, w, detectionBox(d, w)})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].det.Score > cands[j].det.Score })
	var found []Tracked
	var tried [][4]float64 // boxes of the detections already tried (overlapping windows)
	for _, c := range cands {
		if len(have)+len(found) >= t.cfg.MaxPeople {
			break
		}
		dup := false
		for _, b := range tried {
			dup = dup || IoU(b, c.box) > nmsIoU
		}
		if dup {
			continue
		}
		tried = append(tried, c.box)
		p, err := t.pipe.Landmarks(ctx, img, DetectionROI(c.det, c.window))
		if err != nil {
			return nil, err
		}
		p.Detection = c.det
		if p.Pose.Score < t.cfg.MinPoseScore || t.overlaps(p, have) || t.overlaps(p, found) {
			continue
		}
		found = append(found, Tracked{Person: p, TrackID: t.reidentify(p), Detected: true})
	}
	return found, nil
}

// reidentify returns the id of the recently lost track whose last box p overlaps most (and
// forgets that track), or a new id.
func (t *Tracker) reidentify(p Person) int64 {
	box, _ := BBox(p.Landmarks, 0)
	best, bestIoU := -1, reidIoU
	for i, g := range t.gone {
		if iou := IoU(box, g.box); iou > bestIoU {
			best, bestIoU = i, iou
		}
	}
	if best < 0 {
		t.nextID++
		return t.nextID - 1
	}
	id := t.gone[best].id
	t.gone = append(t.gone[:best], t.gone[best+1:]...)
	return id
}

// overlaps reports whether p's landmark box overlaps one of people's by more than MaxOverlap.
func (t *Tracker) overlaps(p Person, people []Tracked) bool {
	a, ok := BBox(p.Landmarks, 0)
	if !ok {
		return false
	}
	for _, q := range people {
		if b, ok := BBox(q.Landmarks, 0); ok && IoU(a, b) > t.cfg.MaxOverlap {
			return true
		}
	}
	return false
}
