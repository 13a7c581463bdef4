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
	// MinPoseScore, and 0.3 for a run directory, whose poses carry no presence flag).
	MinScore float64
	// Memory is how many frames a lost track's id is kept: a person found again within that many
	// frames near where the track was last seen (box IoU above 0.3, or centres closer than half
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
		if e.kind == kindTrained {
			cfg.MinScore = max(cfg.MinScore, 0.3)
		}
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
		dets = skipTracked(dets, followed)
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

// skipTracked drops the detections whose hip centre lies in the box of a followed person (they
// are that person again), saving their landmark inference.
func skipTracked(dets []Detection, followed []Person) []Detection {
	var out []Detection
	for _, d := range dets {
		cx, cy := d.ROI.CX, d.ROI.CY
		dup := false
		for _, p := range followed {
			b := p.Box
			// The hips lie in the middle of a person's box: its central half, horizontally.
			if cx > b[0]+b[2]/4 && cx < b[0]+3*b[2]/4 && cy > b[1] && cy < b[1]+b[3] &&
				math.Abs(d.Box[3]-b[3]) < 0.5*max(d.Box[3], b[3]) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, d)
		}
	}
	return out
}

// update replaces the tracks by the people of this frame; tracks not seen go to the lost list.
func (t *Tracker) update(people []Person) {
	seen := map[int64]bool{}
	var tracks []track
	for _, p := range people {
		seen[p.TrackID] = true
		tracks = append(tracks, track{id: p.TrackID, last: p, frame: t.frame})
	}
	for _, tr := range t.tracks {
		if !seen[tr.id] {
			t.gone = append(t.gone, tr)
		}
	}
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
	for i, g := range t.gone {
		if iou := blazepose.IoU(p.Box, g.last.Box); iou > bestIoU {
			best, bestIoU = i, iou
		}
	}
	if best < 0 { // no overlap: the nearest lost track within half a box height
		bestDist := math.Inf(1)
		for i, g := range t.gone {
			b := g.last.Box
			d := math.Hypot(p.Box[0]+p.Box[2]/2-b[0]-b[2]/2, p.Box[1]+p.Box[3]/2-b[1]-b[3]/2)
			if d < 0.5*max(b[3], p.Box[3]) && d < bestDist {
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
// alignment points; for other models the box of its keypoints, enlarged by a tenth.
func (e *Estimator) nextRegion(p Person) (region, bool) {
	if p.BlazePose != nil {
		roi, ok := p.BlazePose.LandmarksROI()
		if !ok {
			return region{}, false
		}
		body := roi.W / blazepose.ROIScale
		return region{box: [4]float64{roi.CX - body/2, roi.CY - body/2, body, body}, roi: roi, score: 1}, true
	}
	b := p.Box
	if !(b[2] > 1 && b[3] > 1) || !finite(b[:]...) {
		return region{}, false
	}
	b = [4]float64{b[0] - b[2]*0.05, b[1] - b[3]*0.05, b[2] * 1.1, b[3] * 1.1}
	return region{box: b, roi: roiFromBox(b), score: 1}, true
}
