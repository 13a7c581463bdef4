package video

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/pose"
	"github.com/posedistill/posedistill/progress"
	"github.com/posedistill/posedistill/smooth"
)

// PoseOptions configure TrackPose.
type PoseOptions struct {
	// In is the input video; OutDir receives results.json and overlay.mp4.
	In, OutDir string
	// Estimator is the model (any: pose.Open).
	Estimator *pose.Estimator
	// Tracker configures detection and tracking.
	Tracker pose.TrackerConfig
	// Frames, when positive, stops after that many frames.
	Frames int
	// Smooth, when set, applies the 1€ filter with these parameters to each track's keypoints
	// (BlazePose: its 33 landmarks), in units of the track's size.
	Smooth *smooth.Params
	// PNGEvery, when positive, also writes every PNGEvery-th overlay frame as PNG.
	PNGEvery int
	// Progress, when not nil, receives a progress bar.
	Progress io.Writer
	// OnFrame, when set, is called after each frame with its index (from 0) and its people.
	OnFrame func(n int, people []pose.Person)
}

// PoseResult is what TrackPose did.
type PoseResult struct {
	Frames, Poses, Tracks int
	PerFrame              time.Duration
	ResultsPath           string
	OverlayPath           string
	// Interrupted is true when the context was cancelled: the outputs hold the frames
	// processed until then.
	Interrupted bool
}

// TrackPose runs any pose model over the frames of a video with a pose.Tracker (people detected
// every few frames and followed in between, each with a track id), optionally smooths each track
// with the 1€ filter, and writes COCO results (pose.Record with track ids and timestamps) and an
// overlay video into OutDir. When ctx is cancelled (Ctrl-C), it stops after the current frame and
// still writes the results and the video of the frames processed, and reports Interrupted.
func TrackPose(ctx context.Context, o PoseOptions) (PoseResult, error) {
	var res PoseResult
	if o.Estimator == nil {
		return res, fmt.Errorf("video: no pose estimator")
	}
	info, err := Probe(ctx, o.In)
	if err != nil {
		return res, err
	}
	tracker, err := o.Estimator.NewTracker(o.Tracker)
	if err != nil {
		return res, err
	}
	var sm *poseSmoother
	if o.Smooth != nil {
		if sm, err = newPoseSmoother(*o.Smooth, info.FPS); err != nil {
			return res, err
		}
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return res, fmt.Errorf("video: %w", err)
	}
	// ffmpeg runs on its own context: Ctrl-C must not kill the encoder before it has finished
	// the frames already written.
	ioctx := context.WithoutCancel(ctx)
	dec, err := Decode(ioctx, o.In, info, o.Frames)
	if err != nil {
		return res, err
	}
	defer dec.Abort()
	var outputs atomicfile.Group
	defer outputs.Abort()
	overlayPath := filepath.Join(o.OutDir, "overlay.mp4")
	enc, err := Encode(ioctx, outputs.Path(overlayPath), info)
	if err != nil {
		return res, err
	}
	defer enc.Abort()
	total := o.Frames
	if n := frameCount(ctx, o.In); n > 0 && (total <= 0 || n < total) {
		total = n
	}
	var bar *progress.Bar
	if o.Progress != nil && total > 0 {
		bar = progress.New(o.Progress, total, "frames")
	}
	records := []pose.Record{}
	tracks := map[int64]bool{}
	start := time.Now()
	n := 0
	for {
		if ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		frame, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, err
		}
		ts := float64(n) / info.FPS
		people, err := tracker.Step(ctx, frame)
		if err != nil {
			if ctx.Err() != nil { // interrupted inside the frame: drop it
				res.Interrupted = true
				break
			}
			return res, fmt.Errorf("%s: %w", o.In, err)
		}
		if sm != nil {
			for i := range people {
				if err := sm.apply(&people[i], ts); err != nil {
					return res, fmt.Errorf("%s frame %d: %w", o.In, n, err)
				}
			}
			sm.filter.Prune(ts)
		}
		for _, p := range people {
			r := p.Record(int64(n + 1))
			t := ts
			r.Timestamp = &t
			records = append(records, r)
			tracks[p.TrackID] = true
		}
		if err := pose.Draw(frame, people); err != nil {
			return res, err
		}
		if err := enc.Write(frame); err != nil {
			return res, err
		}
		if o.PNGEvery > 0 && n%o.PNGEvery == 0 {
			png := filepath.Join(o.OutDir, fmt.Sprintf("overlay_%06d.png", n+1))
			if err := dataset.SaveImage(outputs.Path(png), frame); err != nil {
				return res, err
			}
		}
		if o.OnFrame != nil {
			o.OnFrame(n, people)
		}
		n++
		if bar != nil {
			bar.Add(1)
		}
	}
	if bar != nil {
		bar.Done()
	}
	if res.Interrupted {
		dec.Abort()
	} else if err := dec.Close(); err != nil {
		return res, err
	}
	if err := enc.Finish(); err != nil {
		return res, err
	}
	resultsPath := filepath.Join(o.OutDir, "results.json")
	if err := pose.WriteRecords(outputs.Path(resultsPath), records); err != nil {
		return res, err
	}
	if err := outputs.Commit(); err != nil {
		return res, err
	}
	res.Frames, res.Poses, res.Tracks = n, len(records), len(tracks)
	res.ResultsPath, res.OverlayPath = resultsPath, overlayPath
	if n > 0 {
		res.PerFrame = time.Since(start) / time.Duration(n)
	}
	return res, nil
}

// frameCount asks ffprobe for the number of frames of the first video stream (0 when unknown).
func frameCount(ctx context.Context, path string) int {
	probe, err := ffmpegPath("ffprobe")
	if err != nil {
		return 0
	}
	out, err := exec.CommandContext(ctx, probe, "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream=nb_frames", "-of", "csv=p=0", "-i", ffmpegFile(path)).Output()
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		return 0
	}
	return n
}

// poseSmoother applies the 1€ filter to each track's points (BlazePose: the 33 landmarks x, y,
// z; else the COCO-17 keypoints x, y), in units of the track's size when first seen.
type poseSmoother struct {
	filter *smooth.KeypointFilter
	scale  map[int64]float64
}

func newPoseSmoother(p smooth.Params, fps float64) (*poseSmoother, error) {
	// BlazePose's 33 landmarks × 3 and COCO-17 × 2 never share a track: one filter with room for
	// the larger (unused values stay zero).
	f, err := smooth.NewKeypointFilter(smooth.KeypointConfig{Params: p, Rate: fps, Missing: smooth.Hold}, blazepose.NumLandmarks, 3)
	if err != nil {
		return nil, fmt.Errorf("smoothing: %w", err)
	}
	return &poseSmoother{filter: f, scale: map[int64]float64{}}, nil
}

// apply replaces p's points with their filtered values at time t (seconds).
func (s *poseSmoother) apply(p *pose.Person, t float64) error {
	sc, ok := s.scale[p.TrackID]
	if !ok {
		sc = max((p.Box[2]+p.Box[3])/2, 1)
		s.scale[p.TrackID] = sc
	}
	pts := make([]float64, 3*blazepose.NumLandmarks)
	scores := make([]float64, blazepose.NumLandmarks)
	if b := p.BlazePose; b != nil {
		for i, l := range b.Landmarks {
			pts[3*i], pts[3*i+1], pts[3*i+2] = l.X/sc, l.Y/sc, l.Z/sc
			scores[i] = l.Visibility
		}
	} else {
		for i, k := range p.Keypoints {
			pts[3*i], pts[3*i+1] = k.X/sc, k.Y/sc
			scores[i] = k.Score
		}
	}
	f, _, err := s.filter.Update(p.TrackID, t, pts, scores)
	if err != nil {
		return err
	}
	if b := p.BlazePose; b != nil {
		bp := *b
		bp.Landmarks = make([]blazepose.Landmark, len(b.Landmarks))
		for i, l := range b.Landmarks {
			l.X, l.Y, l.Z = f[3*i]*sc, f[3*i+1]*sc, f[3*i+2]*sc
			bp.Landmarks[i] = l
		}
		q, err := pose.FromBlazePose(bp, p.Score/max(bp.Pose.Score, 1e-9))
		if err != nil {
			return err
		}
		q.TrackID = p.TrackID
		*p = q
		return nil
	}
	kps := make([]pose.Keypoint, len(p.Keypoints))
	for i, k := range p.Keypoints {
		k.X, k.Y = f[3*i]*sc, f[3*i+1]*sc
		kps[i] = k
	}
	p.Keypoints = kps
	return nil
}
