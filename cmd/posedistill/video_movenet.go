package main

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

// videoMoveNet implements "posedistill video --model movenet-…": MoveNet on every frame of a
// video. The single-person models follow one person with MoveNet's crop-and-track logic (track
// id 1); MultiPose estimates each frame on its own (track ids are the rank of the pose in the
// frame, not an identity). It writes COCO results (image_id = frame number from 1, with
// timestamps) and an overlay video to out (and every pngEvery-th overlay frame as PNG).
// MultiPose resizes frames so that their longer side is multiPoseSize.
func videoMoveNet(ctx context.Context, model, in, out string, frames, pngEvery, multiPoseSize int, stdout io.Writer) error {
	info, err := probeVideo(ctx, in)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("video: %w", err)
	}
	e, err := openMoveNet(model)
	if err != nil {
		return err
	}
	e.MultiPoseMaxDimension = multiPoseSize
	tracker := e.NewTracker()
	dec, err := startDecoder(ctx, in, info, frames)
	if err != nil {
		return err
	}
	defer dec.abort()
	overlayPath := filepath.Join(out, "overlay.mp4")
	enc, err := startEncoder(ctx, overlayPath, info)
	if err != nil {
		return err
	}
	defer enc.abort()
	type timed struct {
		dataset.Result
		Timestamp float64 `json:"timestamp"`
	}
	results := []timed{}
	start := time.Now()
	n := 0
	for {
		frame, err := dec.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		people, err := tracker.Next(ctx, frame)
		if err != nil {
			return fmt.Errorf("%s frame %d: %w", in, n, err)
		}
		for i, p := range people {
			r := p.Result(int64(n + 1))
			r.TrackID = int64(i + 1)
			results = append(results, timed{r, float64(n) / info.fps})
		}
		if err := movenet.Draw(frame, people, 0.3); err != nil {
			return err
		}
		if err := enc.write(frame); err != nil {
			return err
		}
		if pngEvery > 0 && n%pngEvery == 0 {
			if err := dataset.SaveImage(filepath.Join(out, fmt.Sprintf("overlay_%06d.png", n+1)), frame); err != nil {
				return err
			}
		}
		n++
	}
	if err := dec.close(); err != nil {
		return err
	}
	if err := enc.finish(); err != nil {
		return err
	}
	resultsPath := filepath.Join(out, "results.json")
	b, err := json.MarshalIndent(results, "", " ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(resultsPath, append(b, '\n')); err != nil {
		return fmt.Errorf("video: %w", err)
	}
	per := time.Duration(0)
	if n > 0 {
		per = time.Since(start) / time.Duration(n)
	}
	fmt.Fprintf(stdout, "video %s (%s): %d frames, %d poses, %v per frame; wrote %s and %s\n",
		in, model, n, len(results), per.Round(time.Millisecond), resultsPath, overlayPath)
	return nil
}
