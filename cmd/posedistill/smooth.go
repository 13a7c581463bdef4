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
	report := fs.Bool("report", false, "also print jitter and lag of input and output against the --images file's tracked annotations")
	demo := fs.Bool("demo", false, "run the jitter/lag experiment instead: on synthetic trajectories (tuning mincutoff and beta), "+
		"or with --images on its tracked annotations plus --noise")
	noise := fs.Float64("noise", 2, "--demo with --images: standard deviation of the simulated detection noise, `pixels`")
	seed := fs.Uint64("seed", 1, "seed of --demo")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *demo && *images == "" {
		r, err := smooth.Experiment(ctx, *seed)
		if err != nil {
			return err
		}
		return r.WriteReport(stdout)
	}
	if !*demo && (*in == "" || *out == "" || (*images == "" && *fps <= 0)) {
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
	var gt *dataset.Dataset
	var times map[int64]smooth.FrameTime
	var err error
	if *images != "" {
		if gt, err = dataset.Read(ctx, *images, dataset.ReadOptions{}); err != nil {
			return err
		}
		if times, err = smooth.FrameTimes(gt, *fps); err != nil {
			return fmt.Errorf("%s: %w", *images, err)
		}
	}
	var results []dataset.Result
	if *demo {
		if results, err = smooth.NoisyResults(gt, *noise, *seed); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "1€ filter (mincutoff %g Hz, beta %g, dcutoff %g Hz) on the tracks of %s with σ = %g px noise (seed %d): ",
			*mincutoff, *beta, *dcutoff, *images, *noise, *seed)
		*report = true
	} else {
		if results, err = dataset.ReadResults(*in); err != nil {
			return err
		}
		if times == nil {
			if times, err = smooth.IDFrameTimes(results, *fps); err != nil {
				return err
			}
		}
	}
	smoothed, st, err := smooth.SmoothResults(ctx, results, times, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if !*demo {
		if err := dataset.WriteResults(*out, smoothed); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "smoothed %d detections in %d tracks over %d sequences (%d without track_id copied unchanged) → %s\n",
			st.Smoothed, st.Tracks, st.Sequences, st.Untracked, *out)
	}
	if *report {
		if gt == nil {
			return fmt.Errorf("--report needs --images with tracked annotations")
		}
		return writeTemporalReport(stdout, gt, results, smoothed, times)
	}
	return nil
}

// writeTemporalReport prints jitter and lag of the input and smoothed results against gt.
func writeTemporalReport(w io.Writer, gt *dataset.Dataset, raw, smoothed []dataset.Result, times map[int64]smooth.FrameTime) error {
	const minFrames = 10
	rm, err := smooth.EvaluateTemporal(gt, raw, times, minFrames)
	if err != nil {
		return err
	}
	sm, err := smooth.EvaluateTemporal(gt, smoothed, times, minFrames)
	if err != nil {
		return err
	}
	return smooth.WriteTemporalTable(w, rm, sm)
}
