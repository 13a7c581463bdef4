package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/posedistill/posedistill/pose"
	"github.com/posedistill/posedistill/smooth"
	"github.com/posedistill/posedistill/video"
)

// runVideo implements "posedistill video" (video.TrackPose): any model on the frames of a video,
// people detected every --detect-every frames and followed in between with track ids, optional
// 1€ smoothing per track, COCO results with track ids and timestamps, and an overlay video.
func runVideo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("video", "video --model MODEL --in VIDEO --out DIR [--frames N] [--smooth]", stderr)
	var pf poseFlags
	pf.register(fs, "blazepose-full")
	in := fs.String("in", "", "input video `file` (anything ffmpeg decodes)")
	out := fs.String("out", "", "output `directory`: results.json and overlay.mp4 (and overlay PNGs with --png-every)")
	frames := fs.Int("frames", 0, "process at most `n` frames (0: all)")
	detectEvery := fs.Int("detect-every", 10, "run the people detector every `n` frames (and whenever no one is tracked); in between, people are followed from their previous poses")
	smoothOn := fs.Bool("smooth", false, "apply the 1€ filter to each track's keypoints")
	minCutoff := fs.Float64("min-cutoff", 0.05, "1€ minimum cutoff (Hz)")
	beta := fs.Float64("beta", 80, "1€ speed coefficient, with speed in person sizes per second (as MediaPipe scales it)")
	pngEvery := fs.Int("png-every", 0, "also write every `n`th overlay frame as PNG (0: none)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pf.noteSet(fs)
	if *in == "" || *out == "" || *frames < 0 || *detectEvery < 1 || *pngEvery < 0 {
		fmt.Fprintln(stderr, "video: --in and --out are required; --frames and --png-every are not negative, --detect-every is positive")
		fs.Usage()
		return errUsage
	}
	if _, err := pf.options(); err != nil {
		fmt.Fprintln(stderr, "video:", err)
		fs.Usage()
		return errUsage
	}
	if _, err := video.Probe(ctx, *in); err != nil {
		return err
	}
	est, err := pf.open()
	if err != nil {
		return err
	}
	defer est.Close()
	o := video.PoseOptions{In: *in, OutDir: *out, Estimator: est, Frames: *frames, PNGEvery: *pngEvery,
		Tracker: pose.TrackerConfig{DetectEvery: *detectEvery}}
	if *smoothOn {
		o.Smooth = &smooth.Params{MinCutoff: *minCutoff, Beta: *beta, DCutoff: 1}
	}
	if !*quiet {
		o.Progress = stderr
	}
	r, err := video.TrackPose(ctx, o)
	if err != nil {
		return err
	}
	stopped := ""
	if r.Interrupted {
		stopped = " (interrupted: the outputs hold the frames processed)"
	}
	fmt.Fprintf(stdout, "video %s (%s): %d frames, %d poses, %d tracks, %v per frame%s; wrote %s and %s\n",
		*in, pf.model, r.Frames, r.Poses, r.Tracks, r.PerFrame.Round(time.Millisecond), stopped, r.ResultsPath, r.OverlayPath)
	return nil
}
