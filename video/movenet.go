package video

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/movenet"
)

// TrackMoveNet runs MoveNet (estimator e) on every frame of the video in, at most frames frames
// when positive. The single-person models follow one person with MoveNet's crop-and-track logic
// (track id 1); MultiPose estimates each frame on its own (track ids are the rank of the pose in
// the frame, not an identity). It writes COCO results (image_id = frame number from 1, with
// timestamps) and an overlay video to outDir (and every pngEvery-th overlay frame as PNG).
func TrackMoveNet(ctx context.Context, e *movenet.Estimator, in, outDir string, frames, pngEvery int) (TrackResult, error) {
	var res TrackResult
	info, err := Probe(ctx, in)
	if err != nil {
		return res, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return res, fmt.Errorf("video: %w", err)
	}
	tracker := e.NewTracker()
	dec, err := Decode(ctx, in, info, frames)
	if err != nil {
		return res, err
	}
	defer dec.Abort()
	overlayPath := filepath.Join(outDir, "overlay.mp4")
	enc, err := Encode(ctx, overlayPath, info)
	if err != nil {
		return res, err
	}
	defer enc.Abort()
	type timed struct {
		dataset.Result
		Timestamp float64 `json:"timestamp"`
	}
	results := []timed{}
	start := time.Now()
	n := 0
	for {
		frame, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, err
		}
		people, err := tracker.Next(ctx, frame)
		if err != nil {
			return res, fmt.Errorf("%s frame %d: %w", in, n, err)
		}
		for i, p := range people {
			r := p.Result(int64(n + 1))
			r.TrackID = int64(i + 1)
			results = append(results, timed{r, float64(n) / info.FPS})
		}
		if err := movenet.Draw(frame, people, 0.3); err != nil {
			return res, err
		}
		if err := enc.Write(frame); err != nil {
			return res, err
		}
		if pngEvery > 0 && n%pngEvery == 0 {
			if err := dataset.SaveImage(filepath.Join(outDir, fmt.Sprintf("overlay_%06d.png", n+1)), frame); err != nil {
				return res, err
			}
		}
		n++
	}
	if err := dec.Close(); err != nil {
		return res, err
	}
	if err := enc.Finish(); err != nil {
		return res, err
	}
	resultsPath := filepath.Join(outDir, "results.json")
	b, err := json.MarshalIndent(results, "", " ")
	if err != nil {
		return res, err
	}
	if err := atomicfile.WriteBytes(resultsPath, append(b, '\n')); err != nil {
		return res, fmt.Errorf("video: %w", err)
	}
	per := time.Duration(0)
	if n > 0 {
		per = time.Since(start) / time.Duration(n)
	}
	return TrackResult{Frames: n, Poses: len(results), PerFrame: per, ResultsPath: resultsPath, OverlayPath: overlayPath}, nil
}
