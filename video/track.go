package video

import (
	"context"
	"fmt"
	"image"
	"time"

	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/smooth"
)

// TrackOptions configure Track.
type TrackOptions struct {
	// In is the input video; OutDir receives results.json, overlay.mp4 and the overlay PNGs.
	In, OutDir string
	// Pipeline is the BlazePose pipeline (detector and landmark model).
	Pipeline *blazepose.Pipeline
	// Tracker configures the tracking (people, detector schedule and tiles).
	Tracker blazepose.TrackerConfig
	// Frames, when positive, stops after that many frames.
	Frames int
	// Smooth, when set, applies the 1€ filter with these parameters to each track's landmarks.
	Smooth *smooth.Params
	// PNGEvery, when positive, also writes every PNGEvery-th overlay frame as PNG.
	PNGEvery int
}

// TrackResult is what Track did.
type TrackResult struct {
	Frames, Poses, Tracks int
	PerFrame              time.Duration
	ResultsPath           string
	OverlayPath           string
}

// Track runs BlazePose on every frame of a video with MediaPipe's tracking (landmarks place the
// next crop; the detector runs when a track is lost), optional 1€ smoothing per track, and writes
// COCO results with track ids and timestamps and an overlay video.
func Track(ctx context.Context, o TrackOptions) (TrackResult, error) {
	info, err := Probe(ctx, o.In)
	if err != nil {
		return TrackResult{}, err
	}
	tracker, err := blazepose.NewTracker(o.Pipeline, o.Tracker)
	if err != nil {
		return TrackResult{}, err
	}
	var sm *trackSmoother
	if o.Smooth != nil {
		if sm, err = newTrackSmoother(*o.Smooth, info.FPS); err != nil {
			return TrackResult{}, err
		}
	}
	results := []blazepose.Result{}
	tracks := map[int64]bool{}
	step := func(n int, ts float64, frame *image.RGBA) error {
		found, err := tracker.Step(ctx, frame)
		if err != nil {
			return fmt.Errorf("%s: %w", o.In, err)
		}
		for _, p := range found {
			if sm != nil {
				if err := sm.apply(&p, ts); err != nil {
					return fmt.Errorf("%s frame %d: %w", o.In, n, err)
				}
			}
			r, err := p.Result(int64(n+1), 1)
			if err != nil {
				return fmt.Errorf("%s frame %d: %w", o.In, n, err)
			}
			r.TrackID, r.Timestamp = p.TrackID, &ts
			if err := blazepose.Draw(frame, r, nil, int(p.TrackID-1)); err != nil {
				return err
			}
			results = append(results, r)
			tracks[p.TrackID] = true
		}
		if sm != nil {
			sm.prune(ts)
		}
		return nil
	}
	res, err := process(ctx, info, o.In, o.OutDir, o.Frames, o.PNGEvery, step, func(path string) error {
		return blazepose.WriteResults(path, results)
	})
	res.Poses, res.Tracks = len(results), len(tracks)
	return res, err
}

// trackSmoother applies the 1€ filter to each track's landmarks (x, y, z), in units of the
// track's size when first seen, so that Beta means what MediaPipe's landmark smoothing means.
type trackSmoother struct {
	filter *smooth.KeypointFilter
	scale  map[int64]float64
}

func newTrackSmoother(p smooth.Params, fps float64) (*trackSmoother, error) {
	f, err := smooth.NewKeypointFilter(smooth.KeypointConfig{Params: p, Rate: fps, Missing: smooth.Hold}, blazepose.NumLandmarks, 3)
	if err != nil {
		return nil, fmt.Errorf("smoothing: %w", err)
	}
	return &trackSmoother{filter: f, scale: map[int64]float64{}}, nil
}

// apply replaces p's landmark positions with their filtered values at time t (seconds).
func (s *trackSmoother) apply(p *blazepose.Tracked, t float64) error {
	sc, ok := s.scale[p.TrackID]
	if !ok { // a track keeps the units of its first frame
		box, _ := blazepose.BBox(p.Landmarks, 0)
		sc = max((box[2]+box[3])/2, 1)
		s.scale[p.TrackID] = sc
	}
	pts := make([]float64, 0, 3*len(p.Landmarks))
	scores := make([]float64, 0, len(p.Landmarks))
	for _, l := range p.Landmarks {
		pts = append(pts, l.X/sc, l.Y/sc, l.Z/sc)
		scores = append(scores, l.Visibility)
	}
	f, _, err := s.filter.Update(p.TrackID, t, pts, scores)
	if err != nil {
		return err
	}
	lms := make([]blazepose.Landmark, len(p.Landmarks))
	for i, l := range p.Landmarks {
		l.X, l.Y, l.Z = f[3*i]*sc, f[3*i+1]*sc, f[3*i+2]*sc
		lms[i] = l
	}
	p.Landmarks = lms
	return nil
}

// prune forgets tracks unseen for longer than the filter's timeout.
func (s *trackSmoother) prune(t float64) { s.filter.Prune(t) }
