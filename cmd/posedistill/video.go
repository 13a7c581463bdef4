package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/smooth"
	"github.com/posedistill/posedistill/video"
)

// runVideo implements "posedistill video" (video.Track): BlazePose on every frame of a video,
// with MediaPipe's tracking, optional 1€ smoothing per track, COCO results with track ids and
// timestamps, and an overlay video.
func runVideo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("video", "video --model blazepose-full --in VIDEO --out DIR [--frames N] [--smooth]", stderr)
	model := fs.String("model", "blazepose-full", "blazepose-lite, blazepose-full or blazepose-heavy; or movenet-lightning, movenet-thunder, movenet-multipose")
	in := fs.String("in", "", "input video `file` (anything ffmpeg decodes)")
	out := fs.String("out", "", "output `directory`: results.json, overlay.mp4 (and overlay PNGs with --png-every)")
	frames := fs.Int("frames", 0, "process at most `n` frames (0: all)")
	smoothOn := fs.Bool("smooth", false, "apply the 1€ filter to each track's landmarks")
	minCutoff := fs.Float64("min-cutoff", 0.05, "1€ minimum cutoff (Hz)")
	beta := fs.Float64("beta", 80, "1€ speed coefficient, with speed in person sizes per second (as MediaPipe scales it)")
	people := fs.Int("people", 1, "track at most `n` people (1: MediaPipe's single-person tracking)")
	detectEvery := fs.Int("detect-every", 0, "also run the detector every `n` frames to find people entering (0: only when a track is lost)")
	tile := fs.Int("detect-tile", 0, "scan for people in square tiles of `side` pixels (0: the whole frame, as MediaPipe; about 300 finds pedestrians of 100–200 pixels)")
	pngEvery := fs.Int("png-every", 0, "also write every `n`th overlay frame as PNG (0: none)")
	multiPoseSize := fs.Int("multipose-size", 256, "movenet-multipose: the longer side frames are resized to (a multiple of 32; larger finds smaller people)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if isMoveNetModel(*model) {
		if *in == "" || *out == "" || *frames < 0 || *pngEvery < 0 || *smoothOn || *people != 1 || *detectEvery != 0 || *tile != 0 {
			fmt.Fprintln(stderr, "video: --in and --out are required; counts are not negative; --smooth, --people, --detect-every and --detect-tile are BlazePose's (MoveNet tracks by itself; movenet-multipose finds everyone)")
			fs.Usage()
			return errUsage
		}
		return videoMoveNet(ctx, *model, *in, *out, *frames, *pngEvery, *multiPoseSize, stdout)
	}
	if *in == "" || *out == "" || !isBlazePoseModel(*model) || *frames < 0 || *people < 1 || *detectEvery < 0 || *tile < 0 || *pngEvery < 0 {
		fmt.Fprintln(stderr, "video: --in and --out are required; --model is blazepose-lite, -full or -heavy; counts are not negative")
		fs.Usage()
		return errUsage
	}
	if _, err := video.Probe(ctx, *in); err != nil {
		return err
	}
	pipe, err := openBlazePose(*model)
	if err != nil {
		return err
	}
	o := video.TrackOptions{In: *in, OutDir: *out, Pipeline: pipe, Frames: *frames, PNGEvery: *pngEvery,
		Tracker: blazepose.TrackerConfig{MaxPeople: *people, DetectEvery: *detectEvery, DetectTile: *tile, MinPoseScore: minPoseScore}}
	if *smoothOn {
		o.Smooth = &smooth.Params{MinCutoff: *minCutoff, Beta: *beta, DCutoff: 1}
	}
	r, err := video.Track(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "video %s (%s): %d frames, %d poses, %d tracks, %v per frame; wrote %s and %s\n",
		*in, *model, r.Frames, r.Poses, r.Tracks, r.PerFrame.Round(time.Millisecond), r.ResultsPath, r.OverlayPath)
	return nil
}
