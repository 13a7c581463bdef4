package video

import (
	"context"
	"encoding/json"
	"fmt"
	"image"

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
	info, err := Probe(ctx, in)
	if err != nil {
		return TrackResult{}, err
	}
	tracker := e.NewTracker()
	type timed struct {
		dataset.Result
		Timestamp float64 `json:"timestamp"`
	}
	results := []timed{}
	step := func(n int, ts float64, frame *image.RGBA) error {
		people, err := tracker.Next(ctx, frame)
		if err != nil {
			return fmt.Errorf("%s frame %d: %w", in, n, err)
		}
		for i, p := range people {
			r := p.Result(int64(n + 1))
			r.TrackID = int64(i + 1)
			results = append(results, timed{r, ts})
		}
		return movenet.Draw(frame, people, 0.3)
	}
	res, err := process(ctx, info, in, outDir, frames, pngEvery, step, func(path string) error {
		b, err := json.MarshalIndent(results, "", " ")
		if err != nil {
			return err
		}
		return atomicfile.WriteBytes(path, append(b, '\n'))
	})
	res.Poses = len(results)
	return res, err
}
