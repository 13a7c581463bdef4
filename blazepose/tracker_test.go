package blazepose

import (
	"context"
	"image"
	"math"
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/modelstore"
)

// TestTrackerOnStills feeds the tracker a photo three times, a blank frame, then the photo
// again: the person is detected once, then followed from the landmarks (same track, landmarks
// stable), lost on the blank frame, and found again under the same track id (Memory) — or a
// new one when the tracker keeps no memory.
func TestTrackerOnStills(t *testing.T) {
	if testing.Short() {
		t.Skip("model inference skipped in -short mode")
	}
	cacheDir := filepath.Dir(filepath.Dir(liteModel(t)))
	img, err := dataset.LoadImage("/usr/share/doc/opencv-doc/examples/data/basketball1.png")
	if err != nil {
		t.Skipf("test photo absent (Debian package opencv-doc): %v", err)
	}
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPipeline(be, cacheDir, modelstore.PoseLandmarkLite)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTracker(p, TrackerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	blank := image.NewRGBA(img.Bounds())
	frames := []struct {
		img      image.Image
		people   int
		id       int64
		detected bool
	}{
		{img, 1, 1, true},
		{img, 1, 1, false},
		{img, 1, 1, false},
		{blank, 0, 0, false},
		{img, 1, 1, true},
	}
	var first []Landmark
	for i, f := range frames {
		got, err := tr.Step(context.Background(), f.img)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != f.people {
			t.Fatalf("frame %d: %d people, want %d", i, len(got), f.people)
		}
		if f.people == 0 {
			continue
		}
		if got[0].TrackID != f.id || got[0].Detected != f.detected {
			t.Errorf("frame %d: track %d detected %v, want %d %v", i, got[0].TrackID, got[0].Detected, f.id, f.detected)
		}
		if first == nil {
			first = got[0].Landmarks
			continue
		}
		// Same picture, crop from the landmarks: the same body, within a few pixels on average
		// (the person is about 400 pixels tall).
		sum, n := 0.0, 0
		for j, l := range got[0].Landmarks {
			if l.Visibility > 0.5 {
				sum += math.Hypot(l.X-first[j].X, l.Y-first[j].Y)
				n++
			}
		}
		if n < 10 || sum/float64(n) > 8 {
			t.Errorf("frame %d: %d visible landmarks, mean distance to the first frame's %.1f px", i, n, sum/float64(n))
		}
		t.Logf("frame %d: %d visible landmarks, mean distance to the first frame's %.1f px", i, n, sum/float64(n))
	}
	forget, err := NewTracker(p, TrackerConfig{Memory: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{1, 0, 2} {
		got, err := forget.Step(context.Background(), []image.Image{img, blank, img}[i])
		if err != nil {
			t.Fatal(err)
		}
		if (want == 0) != (len(got) == 0) || (want != 0 && got[0].TrackID != want) {
			t.Errorf("no memory, frame %d: %d people, want track %d", i, len(got), want)
		}
	}
	if _, err := NewTracker(p, TrackerConfig{MinPoseScore: 2}); err == nil {
		t.Error("pose score threshold 2: want error")
	}
	if _, err := NewTracker(&Pipeline{}, TrackerConfig{}); err == nil {
		t.Error("empty pipeline: want error")
	}
}
