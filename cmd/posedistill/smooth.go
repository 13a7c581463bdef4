package main

import (
	"context"
	"fmt"
	"io"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/smooth"
)

// runSmooth applies the 1€ filter to tracked keypoint results, or runs the synthetic experiment.
func runSmooth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("smooth", "smooth --in RESULTS.json --out SMOOTHED.json (--images GT.json | --fps F) [flags]\n"+
		"       posedistill smooth --demo [--seed N]", stderr)
	in := fs.String("in", "", "COCO keypoint results `file` with track_id per detection")
	out := fs.String("out", "", "output results `file`")
	images := fs.String("images", "", "COCO `file` whose images give sequence_id and timestamp (or frame_index with --fps)")
	fps := fs.Float64("fps", 0, "frame rate: with --images, for sequences without timestamps; alone, image ids are frame numbers")
	def := smooth.DefaultParams()
	mincutoff := fs.Float64("mincutoff", def.MinCutoff, "1€ minimum cutoff frequency `Hz`")
	beta := fs.Float64("beta", def.Beta, "1€ speed coefficient")
	dcutoff := fs.Float64("dcutoff", def.DCutoff, "1€ derivative cutoff frequency `Hz`")
	minScore := fs.Float64("min-score", 0, "keypoints with score not above this are missing")
	missing := fs.String("missing", "hold", "missing keypoints: hold (keep last position and score) or decay (keep position, fade score)")
	decay := fs.Float64("decay-time", 0.5, "time constant of --missing=decay, `seconds`")
	timeout := fs.Float64("timeout", 1, "`seconds` after which a lost joint or track restarts")
	demo := fs.Bool("demo", false, "run the synthetic jitter/lag experiment and print its table instead")
	seed := fs.Uint64("seed", 1, "seed of --demo")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *demo {
		r, err := smooth.Experiment(ctx, *seed)
		if err != nil {
			return err
		}
		return r.WriteReport(stdout)
	}
	if *in == "" || *out == "" || (*images == "" && *fps <= 0) {
		fmt.Fprintln(stderr, "smooth: --in, --out and one of --images or --fps are required")
		fs.Usage()
		return errUsage
	}
	cfg := smooth.KeypointConfig{
		Params:    smooth.Params{MinCutoff: *mincutoff, Beta: *beta, DCutoff: *dcutoff},
		MinScore:  *minScore,
		DecayTime: *decay,
		Timeout:   *timeout,
	}
	switch *missing {
	case "hold":
		cfg.Missing = smooth.Hold
	case "decay":
		cfg.Missing = smooth.Decay
	default:
		return fmt.Errorf("--missing %q: want hold or decay", *missing)
	}
	if *fps > 0 {
		cfg.Rate = *fps
	}
	results, err := dataset.ReadResults(*in)
	if err != nil {
		return err
	}
	var times map[int64]smooth.FrameTime
	if *images != "" {
		d, err := dataset.Read(ctx, *images, dataset.ReadOptions{})
		if err != nil {
			return err
		}
		if times, err = smooth.FrameTimes(d, *fps); err != nil {
			return fmt.Errorf("%s: %w", *images, err)
		}
	} else if times, err = smooth.IDFrameTimes(results, *fps); err != nil {
		return err
	}
	smoothed, st, err := smooth.SmoothResults(ctx, results, times, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if err := dataset.WriteResults(*out, smoothed); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "smoothed %d detections in %d tracks over %d sequences (%d without track_id copied unchanged) → %s\n",
		st.Smoothed, st.Tracks, st.Sequences, st.Untracked, *out)
	return nil
}
