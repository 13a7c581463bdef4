package pose

import (
	"context"
	"fmt"
	"image"
	"math"
	"sort"

	"github.com/posedistill/posedistill/blazepose"
)

// TrackerConfig configures a Tracker. The zero value gives the defaults.
type TrackerConfig struct {
	// DetectEvery runs the people detector every DetectEvery frames (10 when zero; 1: every
	// frame), on any frame where no one is tracked, and on the frame after a track was lost. In between, each person's crop comes
	// from their pose in the previous frame.
	DetectEvery int
	// MinScore is the pose score below which a followed person is lost (0 : the Estimator's
	// MinPoseScore). A run directory's poses carry no presence flag: its people are kept between
	// detections and dropped when a detection does not confirm them.
	MinScore float64
	// Memory is how many frames a lost track's id is kept: a person found again within that many
	// frames near where the track was last seen (box IoU above 0.3, or centres closer than 0.6 ×
	// the box height) gets the id back (30 when zero; negative: never).
	Memory int
}

// track is one followed person.
type track struct {
	id    int64
	last  Person // pose in the frame the person was last seen in
	frame int
}

// Tracker follows people through the frames of a video, as MediaPipe's pose tracking does: the
// detector runs every DetectEvery frames (and whenever no one is tracked), and in between each
// person's crop comes from their previous pose (BlazePose: its alignment points; other models:
// their keypoints' box). Every person has a track id, kept across frames. A Tracker is not safe
// for concurrent use (its Estimator is, and may serve several Trackers).
type Tracker struct {
	e      *Estimator
	cfg    TrackerConfig
	tracks []track
	gone   []track
	nextID int64
	frame  int
	lost   bool // a track was lost in the previous frame
}

// NewTracker returns a tracker of e's model.
func (e *Estimator) NewTracker(cfg TrackerConfig) (*Tracker, error) {
	if cfg.DetectEvery < 0 {
		return nil, fmt.Errorf("pose tracker: detect every %d frames", cfg.DetectEvery)
	}
	if cfg.DetectEvery == 0 {
		cfg.DetectEvery = 10
	}
	if cfg.Memory == 0 {
		cfg.Memory = 30
	}
	if cfg.MinScore == 0 {
		cfg.MinScore = e.opts.MinPoseScore
	}
	return &Tracker{e: e, cfg: cfg, nextID: 1}, nil
}

// Step finds the people in the next frame, each with its TrackID.
func (t *Tracker) Step(ctx context.Context, img image.Image) ([]Person, error) {
	if img == nil || img.Bounds().Empty() {
		return nil, fmt.Errorf("pose tracker: frame %d is empty", t.frame)
	}
	defer func() { t.frame++ }()
	e := t.e
	if e.kind == kindMultiPose { // MultiPose finds everyone in every frame: associate by box
		people, err := e.Estimate(ctx, img)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", t.frame, err)
		}
		return t.associate(people), nil
	}
	// Follow the tracked people from their previous poses.
	var followed []Person
	var ids []int64
	for _, tr := range t.tracks {
		r, ok := e.nextRegion(tr.last)
		if !ok {
			continue
		}
		found, err := e.estimate(ctx, img, []region{r})
		if err != nil {
			return nil, fmt.Errorf("frame %d, track %d: %w", t.frame, tr.id, err)
		}
		if len(found) == 1 && found[0].Score >= t.cfg.MinScore {
			found[0].TrackID = tr.id
			followed = append(followed, found[0])
			ids = append(ids, tr.id)
		}
	}
	// Two tracks that converged onto one person: the less confident goes.
	followed = e.dedupe(followed, nil, img.Bounds())
	people := followed
	lost := len(followed) < len(t.tracks)
	if t.frame%t.cfg.DetectEvery == 0 || len(followed) == 0 || t.lost {
		dets, err := e.detectAll(ctx, img)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", t.frame, err)
		}
		dets, confirmed := skipTracked(dets, followed)
		if e.kind == kindTrained {
			// A run's poses carry no presence flag: a followed person the detector does not
			// see any more is gone.
			kept := followed[:0]
			for i, p := range followed {
				if confirmed[i] {
					kept = append(kept, p)
				}
			}
			followed = kept
			lost = lost || len(followed) < len(people)
			people = followed
		}
		t.loseUnfollowed(followed)
		found, err := e.estimateDetections(ctx, img, dets, followed)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", t.frame, err)
		}
		for i := range found {
			found[i].TrackID = t.reidentify(found[i])
		}
		people = append(people, found...)
	}
	t.lost = lost
	t.update(people)
	sort.SliceStable(people, func(i, j int) bool { return people[i].TrackID < people[j].TrackID })
	return people, nil
}

// sameAsTracked is the IoU of a detection's body box with a followed person's crop box above
// which the detection is that person again.
const sameAsTracked = 0.3

// near reports whether boxes a and b are one person seen some frames apart: their centres are
// closer than 0.6 × the larger box's height and their heights differ by less than half.
func near(a, b [4]float64) bool {
	h := max(a[3], b[3])
	d := math.Hypot(a[0]+a[2]/2-b[0]-b[2]/2, a[1]+a[3]/2-b[1]-b[3]/2)
	return d < 0.6*h && math.Abs(a[3]-b[3]) < 0.5*h
}

// skipTracked drops the detections that are a followed person again (body box overlapping or
// near the person's crop box), saving their pose inference; it also returns, for each followed
// person, whether a detection confirmed them.
func skipTracked(dets []Detection, followed []Person) ([]Detection, []bool) {
	var out []Detection
	confirmed := make([]bool, len(followed))
	for _, d := range dets {
		dup := false
		for i, p := range followed {
			if blazepose.IoU(d.Box, p.from.box) > sameAsTracked || near(d.Box, p.from.box) {
				dup, confirmed[i] = true, true
			}
		}
		if !dup {
			out = append(out, d)
		}
	}
	return out, confirmed
}

// loseUnfollowed moves the tracks not among followed to the lost list, so that the people the
// detector finds in this frame can take their ids back.
func (t *Tracker) loseUnfollowed(followed []Person) {
	seen := map[int64]bool{}
	for _, p := range followed {
		seen[p.TrackID] = true
	}
	kept := t.tracks[:0]
	for _, tr := range t.tracks {
		if seen[tr.id] {
			kept = append(kept, tr)
		} else {
			t.gone = append(t.gone, tr)
		}
	}
	t.tracks = kept
}

// update replaces the tracks by the people of this frame; tracks not seen go to the lost list.
func (t *Tracker) update(people []Person) {
	seen := map[int64]bool{}
	var tracks []track
	for _, p := range people {
		seen[p.TrackID] = true
		tracks = append(tracks, track{id: p.TrackID, last: p, frame: t.frame})
	}
	t.loseUnfollowed(people)
	t.tracks = tracks
	keep := t.gone[:0]
	for _, g := range t.gone {
		if t.frame-g.frame < t.cfg.Memory && !seen[g.id] {
			keep = append(keep, g)
		}
	}
	t.gone = keep
}

// reidIoU is the box IoU above which a new person takes a recently lost (or, for MultiPose, the
// previous frame's) track's id.
const reidIoU = 0.3

// reidentify returns the id of the recently lost track whose last box p overlaps most (and
// forgets that track), or a new id.
func (t *Tracker) reidentify(p Person) int64 {
	best, bestIoU := -1, reidIoU
	pb := trackBox(p)
	for i, g := range t.gone {
		if iou := blazepose.IoU(pb, trackBox(g.last)); iou > bestIoU {
			best, bestIoU = i, iou
		}
	}
	if best < 0 { // no overlap: the nearest lost track near enough (see near)
		bestDist := math.Inf(1)
		for i, g := range t.gone {
			b := trackBox(g.last)
			d := math.Hypot(pb[0]+pb[2]/2-b[0]-b[2]/2, pb[1]+pb[3]/2-b[1]-b[3]/2)
			if near(pb, b) && d < bestDist {
				best, bestDist = i, d
			}
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

// trackBox is the box identities are matched by: the crop box the pose was estimated in (the
// detector's or the previous frame's: stable even when a weak model's keypoints are not), else
// the keypoints' box.
func trackBox(p Person) [4]float64 {
	if p.from.box[2] > 0 && p.from.box[3] > 0 {
		return p.from.box
	}
	return p.Box
}

// associate gives the people of a frame (MultiPose) the ids of the previous frame's tracks they
// overlap most (greedy, best IoU first), else a lost track's or a new id.
func (t *Tracker) associate(people []Person) []Person {
	type pair struct {
		p, tr int
		iou   float64
	}
	var pairs []pair
	for i, p := range people {
		for j, tr := range t.tracks {
			if iou := blazepose.IoU(p.Box, tr.last.Box); iou > reidIoU {
				pairs = append(pairs, pair{i, j, iou})
			}
		}
	}
	sort.SliceStable(pairs, func(a, b int) bool { return pairs[a].iou > pairs[b].iou })
	usedP, usedT := map[int]bool{}, map[int]bool{}
	for _, pr := range pairs {
		if usedP[pr.p] || usedT[pr.tr] {
			continue
		}
		usedP[pr.p], usedT[pr.tr] = true, true
		people[pr.p].TrackID = t.tracks[pr.tr].id
	}
	for i := range people {
		if !usedP[i] {
			people[i].TrackID = t.reidentify(people[i])
		}
	}
	t.update(people)
	sort.SliceStable(people, func(i, j int) bool { return people[i].TrackID < people[j].TrackID })
	return people
}

// nextRegion returns where to look for a person in the next frame: BlazePose's crop from its
// alignment points; for MoveNet the crop box of this frame, moved to the centre of the confident
// keypoints (at least 4 above 0.3; else not moved), its size the detector's until the next
// detection. A run's crop stays where the detector put it until the next detection: the
// students trained here on synthetic people give keypoints on real video too weak to steer it
// (measured on vtest.avi: recentring on them replaced every track at every detection).
func (e *Estimator) nextRegion(p Person) (region, bool) {
	if p.BlazePose != nil {
		roi, ok := p.BlazePose.LandmarksROI()
		if !ok {
			return region{}, false
		}
		body := roi.W / blazepose.ROIScale
		return region{box: [4]float64{roi.CX - body/2, roi.CY - body/2, body, body}, roi: roi, score: 1}, true
	}
	b := p.from.box
	if !(b[2] > 1 && b[3] > 1) || !finite(b[:]...) {
		return region{}, false
	}
	var sx, sy float64
	n := 0
	for _, k := range p.Keypoints {
		if k.Score >= 0.3 && finite(k.X, k.Y) {
			sx, sy, n = sx+k.X, sy+k.Y, n+1
		}
	}
	if n >= 4 && e.kind != kindTrained {
		b[0], b[1] = sx/float64(n)-b[2]/2, sy/float64(n)-b[3]/2
	}
	return region{box: b, roi: roiFromBox(b), score: 1, detected: p.from.detected}, true
}
