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
	// detections and dropped when a detection does not confirm them; a confirming detection
	// places their crop again and gives its velocity until the next one.
	MinScore float64
	// Memory is how many frames a lost track's id is kept: a person found again within that many
	// frames near where the track was last seen (box IoU above 0.3, or centres closer than the
	// gate: 0.6 × the box height, plus 0.1 × the height per frame since the crop was last placed,
	// 0.05 when it moved with the person's velocity) gets the id back (30 when zero; negative:
	// never).
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
// person's crop comes from their previous pose (BlazePose: its alignment points; MoveNet: its
// keypoints' box; a trained run, whose keypoints on real video are too weak to steer it: the
// last detection's box moved at the velocity measured between the last two detections). Each
// detection is matched to one followed person, within a gate that grows with the age of the
// person's crop, with the least sum of squared distances. Every person has a track id, kept
// across frames. A Tracker is not safe
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
	for _, tr := range t.tracks {
		r, ok := e.nextRegion(tr.last, t.frame)
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
		}
	}
	// Two tracks that converged onto one person: the less confident pose goes, the older id
	// stays.
	followed = olderIDs(e.dedupe(followed, nil, img.Bounds()), followed, e.opts.MaxOverlap, img.Bounds())
	people := followed
	lost := len(followed) < len(t.tracks)
	if t.frame%t.cfg.DetectEvery == 0 || len(followed) == 0 || t.lost {
		dets, err := e.detectAll(ctx, img)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", t.frame, err)
		}
		rest, match := matchTracked(dets, followed, t.frame, e.kind == kindBlazePose)
		if e.kind == kindTrained {
			// A run's poses carry no presence flag: a followed person the detector does not
			// see any more is gone; one it sees is estimated again in the detection's crop,
			// which also gives the crop's velocity.
			var kept []Person
			for i, p := range followed {
				if match[i] < 0 {
					continue
				}
				r := detectedRegions(dets[match[i] : match[i]+1])[0]
				r.placed, r.vel = t.frame, velocity(p.from, r.box, t.frame)
				again, err := e.estimate(ctx, img, []region{r})
				if err != nil {
					return nil, fmt.Errorf("frame %d, track %d: %w", t.frame, p.TrackID, err)
				}
				if len(again) == 1 {
					p = again[0]
					p.TrackID = followed[i].TrackID
				}
				kept = append(kept, p)
			}
			followed = kept
			lost = lost || len(followed) < len(people)
			people = followed
		}
		t.loseUnfollowed(followed)
		found, err := e.estimateDetections(ctx, img, rest, followed)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", t.frame, err)
		}
		for i := range found {
			found[i].from.placed = t.frame
			found[i].TrackID = t.reidentify(found[i])
		}
		people = append(people, found...)
	}
	t.lost = lost
	t.update(people)
	sort.SliceStable(people, func(i, j int) bool { return people[i].TrackID < people[j].TrackID })
	return people, nil
}

// olderIDs gives each of kept (people deduped from all) the oldest (smallest) track id among
// the people of all it is the same person as, and returns kept. When two tracks converge onto
// one person, the newer one is the likelier to have been on someone else or on nothing (on
// vtest.avi: a person half hidden behind another, found by the second look, or a run's track
// of a tripod that took a detection beside a pedestrian), while the pose kept is the more
// confident.
func olderIDs(kept, all []Person, maxIoU float64, bounds image.Rectangle) []Person {
	for i := range kept {
		for _, p := range all {
			if p.TrackID < kept[i].TrackID && overlapsAny(p, kept[i:i+1], maxIoU, bounds) && !hasID(kept, p.TrackID) {
				kept[i].TrackID = p.TrackID
			}
		}
	}
	return kept
}

// hasID reports whether one of people has track id id.
func hasID(people []Person, id int64) bool {
	for _, p := range people {
		if p.TrackID == id {
			return true
		}
	}
	return false
}

// sameAsTracked is the IoU of a detection's body box with a followed person's crop box above
// which the detection is that person again.
const sameAsTracked = 0.3

// Gates: a detection whose centre is closer to a followed person's crop centre than gate ×
// the box height may be that person. A crop moved by a pose every frame (BlazePose, MoveNet) is
// at most a frame old and its gate is 0.6; a crop that only detections place (a trained run's)
// grows stale between them, and its gate grows by gateGrowth per frame (gateGrowthMoving when
// the crop moves with the person's measured velocity): pedestrians on vtest.avi walk about 0.08
// of their height per frame, 0.8 in the 10 frames between two detections.
const (
	gateBase         = 0.6
	gateGrowth       = 0.1
	gateGrowthMoving = 0.05
)

// gate returns the largest centre distance, in box heights, between a crop placed k frames ago
// and the person now.
func gate(k int, moving bool) float64 {
	g := gateGrowth
	if moving {
		g = gateGrowthMoving
	}
	return gateBase + g*float64(max(k-1, 0))
}

// near reports whether boxes a and b are one person seen some frames apart: their centres are
// closer than gateBase × the larger box's height and their heights differ by less than half.
func near(a, b [4]float64) bool { return nearWithin(a, b, gateBase) }

// nearWithin is near with a gate of g box heights.
func nearWithin(a, b [4]float64, g float64) bool {
	h := max(a[3], b[3])
	return centreDistance(a, b) < g*h && math.Abs(a[3]-b[3]) < 0.5*h
}

// centreDistance is the distance between the centres of boxes a and b.
func centreDistance(a, b [4]float64) float64 {
	return math.Hypot(a[0]+a[2]/2-b[0]-b[2]/2, a[1]+a[3]/2-b[1]-b[3]/2)
}

// matchTracked matches detections to followed people in frame, one to one: a detection can be
// a person when its body box overlaps the person's crop box (IoU above sameAsTracked) or lies
// within the gate of the crop's age, and of those pairings the one with the least sum of squared
// centre distances is sought (nearest first, then swaps of two people's detections while they
// lower the sum: two people walking side by side whose crops are equally stale keep their own
// detections, which nearest-first alone would swap). It returns the detections that are nobody
// followed (unmatched and not even near anyone's crop, so that a second detection of a
// followed person costs no pose inference; with secondLook, also those near someone's crop whose
// face is beside theirs, for the second look), and for each followed person the index of their
// detection, or -1.
func matchTracked(dets []Detection, followed []Person, frame int, secondLook bool) (rest []Detection, match []int) {
	dist := make([][]float64, len(followed)) // squared centre distance, +Inf outside the gate
	type pair struct {
		d, p int
	}
	var pairs []pair
	for j, p := range followed {
		c := p.from
		dist[j] = make([]float64, len(dets))
		for i, d := range dets {
			dist[j][i] = math.Inf(1)
			if blazepose.IoU(d.Box, c.box) > sameAsTracked || nearWithin(d.Box, c.box, gate(frame-c.placed, c.vel != [2]float64{})) {
				dist[j][i] = math.Pow(centreDistance(d.Box, c.box), 2)
				pairs = append(pairs, pair{i, j})
			}
		}
	}
	sort.SliceStable(pairs, func(a, b int) bool { return dist[pairs[a].p][pairs[a].d] < dist[pairs[b].p][pairs[b].d] })
	match = make([]int, len(followed))
	for j := range match {
		match[j] = -1
	}
	used := make([]bool, len(dets))
	for _, pr := range pairs {
		if !used[pr.d] && match[pr.p] < 0 {
			used[pr.d], match[pr.p] = true, pr.d
		}
	}
	cost := func(j, i int) float64 {
		if i < 0 {
			return 0
		}
		return dist[j][i]
	}
	for range len(followed) * len(followed) { // swaps, while one lowers the sum (bounded)
		swapped := false
		for a := range followed {
			for b := a + 1; b < len(followed); b++ {
				ma, mb := match[a], match[b]
				if ma == mb { // both unmatched
					continue
				}
				if cost(a, mb)+cost(b, ma) < cost(a, ma)+cost(b, mb) {
					match[a], match[b] = mb, ma
					swapped = true
				}
			}
		}
		if !swapped {
			break
		}
	}
	for i, d := range dets {
		if used[i] {
			continue
		}
		dup := false
		for _, p := range followed {
			if blazepose.IoU(d.Box, p.from.box) > sameAsTracked || near(d.Box, p.from.box) {
				dup = true
			}
		}
		if !dup || secondLook && besideSomeone(detectedRegions([]Detection{d})[0], followed) {
			rest = append(rest, d)
		}
	}
	return rest, match
}

// velocity returns the per-frame motion of a crop placed as from and found at box in frame
// (the crop having been moved by from.vel each frame since): the displacement of the box's
// centre from where the crop was placed, over the frames between.
func velocity(from region, box [4]float64, frame int) [2]float64 {
	k := float64(frame - from.placed)
	if k <= 0 {
		return from.vel
	}
	px := from.box[0] + from.box[2]/2 - from.vel[0]*k
	py := from.box[1] + from.box[3]/2 - from.vel[1]*k
	return [2]float64{(box[0] + box[2]/2 - px) / k, (box[1] + box[3]/2 - py) / k}
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
		if iou := blazepose.IoU(pb, t.predicted(g)); iou > bestIoU {
			best, bestIoU = i, iou
		}
	}
	if best < 0 { // no overlap: the nearest lost track within its gate
		bestDist := math.Inf(1)
		for i, g := range t.gone {
			b := t.predicted(g)
			c := g.last.from
			d := centreDistance(pb, b)
			// A pose-steered crop (BlazePose, MoveNet) was fresh when its track was lost: the
			// fixed gate (a gate growing while lost handed, on vtest.avi, a pedestrian lost 8
			// frames earlier's id to another crossing near where he was lost).
			g := gateBase
			if t.e.kind == kindTrained {
				g = gate(t.frame-c.placed, c.vel != [2]float64{})
			}
			if nearWithin(pb, b, g) && d < bestDist {
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

// predicted is where a lost track's box is now: its last box moved by its crop's velocity for
// every frame since it was seen.
func (t *Tracker) predicted(g track) [4]float64 {
	b := trackBox(g.last)
	k := float64(t.frame - g.frame)
	v := g.last.from.vel
	return [4]float64{b[0] + v[0]*k, b[1] + v[1]*k, b[2], b[3]}
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

// nextRegion returns where to look for a person in frame, p being their pose in the previous
// frame: BlazePose's crop from its alignment points; for MoveNet the crop box of this frame, moved
// to the centre of the confident keypoints (at least 4 above 0.3; else not moved), its size the
// detector's until the next detection. A run's crop is moved by its velocity (measured between
// two detections of the person; none after the first) until the next detection: the students
// trained here on synthetic people give keypoints on real video too weak to steer it (measured
// on vtest.avi: recentring on them replaced every track at every detection).
func (e *Estimator) nextRegion(p Person, frame int) (region, bool) {
	if p.BlazePose != nil {
		roi, ok := p.BlazePose.LandmarksROI()
		if !ok {
			return region{}, false
		}
		body := roi.W / blazepose.ROIScale
		return region{box: [4]float64{roi.CX - body/2, roi.CY - body/2, body, body}, roi: roi, score: 1, placed: frame - 1}, true
	}
	r := p.from
	b := r.box
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
	switch {
	case e.kind == kindTrained:
		b[0], b[1] = b[0]+r.vel[0], b[1]+r.vel[1]
	case n >= 4:
		b[0], b[1] = sx/float64(n)-b[2]/2, sy/float64(n)-b[3]/2
		r.placed = frame - 1
	}
	return region{box: b, roi: roiFromBox(b), score: 1, detected: r.detected, placed: r.placed, vel: r.vel}, true
}
