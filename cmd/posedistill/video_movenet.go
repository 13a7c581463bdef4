package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/posedistill/posedistill/video"
)

// videoMoveNet implements "posedistill video --model movenet-…" (video.TrackMoveNet): MoveNet on
// every frame of a video, COCO results with timestamps and an overlay video. MultiPose resizes
// frames so that their longer side is multiPoseSize.
func videoMoveNet(ctx context.Context, model, in, out string, frames, pngEvery, multiPoseSize int, stdout io.Writer) error {
	if _, err := video.Probe(ctx, in); err != nil {
		return err
	}
	e, err := openMoveNet(model)
	if err != nil {
		return err
	}
	e.MultiPoseMaxDimension = multiPoseSize
	r, err := video.TrackMoveNet(ctx, e, in, out, frames, pngEvery)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "video %s (%s): %d frames, %d poses, %v per frame; wrote %s and %s\n",
		in, model, r.Frames, r.Poses, r.PerFrame.Round(time.Millisecond), r.ResultsPath, r.OverlayPath)
	return nil
}
