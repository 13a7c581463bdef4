package pose

import (
	"image"
	"math"
	"testing"
)

// walker is a synthetic pedestrian: a body box of the given height whose centre starts at
// (x, y) and moves (vx, vy) pixels per frame.
type walker struct {
	x, y, vx, vy, h float64
}

// at returns the walker's square body box in frame f, as the detector gives it.
func (w walker) at(f int) [4]float64 {
	cx, cy := w.x+w.vx*float64(f), w.y+w.vy*float64(f)
	return [4]float64{cx - w.h/2, cy - w.h/2, w.h, w.h}
}

// followRuns tracks walkers as the Tracker tracks a trained run's people: detections every
// `every` frames, crops moved by nextRegion in between, matched by matchTracked and re-placed on
// their detection (velocity from the last two). It returns, per detection frame after the first,
// how many walkers were matched to their own track, and how many detections were left over
// (would start new tracks).
func followRuns(t *testing.T, walkers []walker, frames, every int) (own, wrong, unmatched int) {
	t.Helper()
	e := &Estimator{kind: kindTrained}
	people := make([]Person, len(walkers))
	for i, w := range walkers {
		b := w.at(0)
		people[i] = Person{TrackID: int64(i + 1), from: region{box: b, roi: roiFromBox(b), detected: true}}
	}
	for f := 1; f < frames; f++ {
		for i, p := range people {
			r, ok := e.nextRegion(p, f)
			if !ok {
				t.Fatalf("frame %d: track %d has no region", f, p.TrackID)
			}
			people[i].from = r
		}
		if f%every != 0 {
			continue
		}
		dets := make([]Detection, len(walkers))
		for i, w := range walkers {
			dets[i] = Detection{Box: w.at(f), Score: 0.9}
		}
		rest, match := matchTracked(dets, people, f, false)
		unmatched += len(rest)
		for i, m := range match {
			switch {
			case m == i:
				own++
			case m >= 0:
				wrong++
			}
			if m >= 0 {
				r := detectedRegions(dets[m : m+1])[0]
				r.placed, r.vel = f, velocity(people[i].from, r.box, f)
				people[i].from = r
			}
		}
	}
	return own, wrong, unmatched
}

// TestTrackingRule follows synthetic pedestrians with a run's tracking rule: a crop placed by
// a detection 10 frames ago is matched to the person's next detection after they walked 0.08 of
// their height per frame (vtest.avi's pace), side-by-side walkers keep their own ids, and a
// person further away than the gate allows is not taken.
func TestTrackingRule(t *testing.T) {
	tests := []struct {
		name            string
		walkers         []walker
		frames, every   int
		own, wrong, new int
	}{
		{"one walker at 0.08 height per frame", []walker{{x: 100, y: 200, vx: 5.6, h: 70}}, 60, 10, 5, 0, 0},
		{"walking towards the camera, diagonally", []walker{{x: 100, y: 100, vx: 4, vy: 4, h: 80}}, 40, 10, 3, 0, 0},
		{"two side by side, 0.4 height apart, same pace", []walker{{x: 300, y: 200, vx: 5, h: 70}, {x: 328, y: 200, vx: 5, h: 70}}, 40, 10, 6, 0, 0},
		{"two crossing paths", []walker{{x: 200, y: 200, vx: 5, h: 70}, {x: 500, y: 210, vx: -5, h: 70}}, 60, 10, 10, 0, 0},
		{"one standing still", []walker{{x: 100, y: 200, h: 70}}, 30, 10, 2, 0, 0},
		{"too fast for the gate: 0.3 height per frame", []walker{{x: 100, y: 200, vx: 21, h: 70}}, 30, 10, 0, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			own, wrong, unmatched := followRuns(t, tt.walkers, tt.frames, tt.every)
			if own != tt.own || wrong != tt.wrong || unmatched != tt.new {
				t.Errorf("own %d, swapped %d, unmatched %d; want %d, %d, %d", own, wrong, unmatched, tt.own, tt.wrong, tt.new)
			}
		})
	}
}

func TestGateAndVelocity(t *testing.T) {
	gates := []struct {
		k      int
		moving bool
		want   float64
	}{
		{0, false, 0.6}, {1, false, 0.6}, {1, true, 0.6}, {11, false, 1.6}, {11, true, 1.1},
	}
	for _, g := range gates {
		if got := gate(g.k, g.moving); math.Abs(got-g.want) > 1e-12 {
			t.Errorf("gate(%d, %v) = %v, want %v", g.k, g.moving, got, g.want)
		}
	}
	vels := []struct {
		name  string
		from  region
		box   [4]float64
		frame int
		want  [2]float64
	}{
		{"still crop, person moved 50 px right in 10 frames", region{box: [4]float64{0, 0, 10, 10}, placed: 0}, [4]float64{50, 0, 10, 10}, 10, [2]float64{5, 0}},
		{"moving crop (already moved 30 px)", region{box: [4]float64{30, 0, 10, 10}, placed: 0, vel: [2]float64{3, 0}}, [4]float64{50, -20, 10, 10}, 10, [2]float64{5, -2}},
		{"placed this frame: velocity kept", region{box: [4]float64{30, 0, 10, 10}, placed: 10, vel: [2]float64{3, 1}}, [4]float64{50, 0, 10, 10}, 10, [2]float64{3, 1}},
	}
	for _, v := range vels {
		if got := velocity(v.from, v.box, v.frame); math.Abs(got[0]-v.want[0]) > 1e-12 || math.Abs(got[1]-v.want[1]) > 1e-12 {
			t.Errorf("%s: velocity %v, want %v", v.name, got, v.want)
		}
	}
}

// TestMatchTrackedBeside: in a frame where the man of vtest.avi frame 100 is followed, his own
// detection is matched to him; a detection of the woman beside him (her face 18 pixels from his,
// in his crop) is left for the second look only when the model has one; a second detection of
// his own face is dropped either way.
func TestMatchTrackedBeside(t *testing.T) {
	man := withFace(509, 155, [4]float64{461, 141, 97, 97})
	man.from.placed = 9
	his := Detection{Box: [4]float64{462, 141, 97, 97}, Face: [2]float64{509, 158}, Score: 0.9}
	again := Detection{Box: [4]float64{470, 145, 90, 90}, Face: [2]float64{511, 157}, Score: 0.6}
	hers := Detection{Box: [4]float64{474, 144, 86, 86}, Face: [2]float64{526, 163}, Score: 0.38}
	tests := []struct {
		name       string
		secondLook bool
		rest       []Detection
	}{
		{"BlazePose: hers left for the second look", true, []Detection{hers}},
		{"no second look: both dropped", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rest, match := matchTracked([]Detection{his, again, hers}, []Person{man}, 10, tt.secondLook)
			if len(match) != 1 || match[0] != 0 {
				t.Errorf("match %v, want his own detection (0)", match)
			}
			if len(rest) != len(tt.rest) {
				t.Fatalf("rest %v, want %v", rest, tt.rest)
			}
			for i := range rest {
				if rest[i] != tt.rest[i] {
					t.Errorf("rest %v, want %v", rest, tt.rest)
				}
			}
		})
	}
}

func TestOlderIDs(t *testing.T) {
	bounds := image.Rect(0, 0, 768, 576)
	with := func(p Person, id int64) Person {
		p.TrackID = id
		return p
	}
	a := standing(380, 190, 30, 70, 0.9)  // a pedestrian
	a2 := standing(382, 192, 30, 70, 0.6) // a newer track's pose on the same pedestrian
	b := standing(600, 150, 25, 70, 0.9)  // someone else
	tests := []struct {
		name string
		kept []Person
		all  []Person
		want []int64
	}{
		{"the newer track's pose kept: it takes the older id", []Person{with(a, 6), with(b, 4)}, []Person{with(a, 6), with(a2, 2), with(b, 4)}, []int64{2, 4}},
		{"the older track's pose kept: unchanged", []Person{with(a, 2)}, []Person{with(a, 2), with(a2, 6)}, []int64{2}},
		{"no convergence: unchanged", []Person{with(a, 6), with(b, 4)}, []Person{with(a, 6), with(b, 4)}, []int64{6, 4}},
		{"an older id another kept person has is not taken", []Person{with(a, 6), with(a2, 2)}, []Person{with(a, 6), with(a2, 2)}, []int64{6, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := olderIDs(tt.kept, tt.all, 0.5, bounds)
			for i, p := range got {
				if p.TrackID != tt.want[i] {
					t.Errorf("ids %v, want %v", trackIDs(got), tt.want)
					break
				}
			}
		})
	}
}

func trackIDs(people []Person) []int64 {
	var ids []int64
	for _, p := range people {
		ids = append(ids, p.TrackID)
	}
	return ids
}
