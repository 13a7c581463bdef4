package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/rundir"
	"github.com/posedistill/posedistill/train"
)

// isUnlabeledDistill reports whether distill's arguments ask for distillation without labels:
// a BlazePose --teacher and --images.
func isUnlabeledDistill(args []string) bool {
	teacher, images := false, false
	for i, a := range args {
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			continue
		}
		if !hasVal && i+1 < len(args) {
			val = args[i+1]
		}
		switch name {
		case "teacher":
			teacher = isBlazePoseModel(val)
		case "images":
			images = true
		}
	}
	return teacher && images
}

// runDistillUnlabeled distills a student from two BlazePose models on unlabeled images and video
// frames: the senior's people are the pseudo ground truth, the held-out frames measure how
// closely the student agrees with it.
func runDistillUnlabeled(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("distill", "distill --teacher blazepose-full --senior blazepose-heavy --images DIR|VIDEO|IMAGE[,…] --out RUN [--frames N] [--stride S] [--holdout F] [--steps N] [--resume | --overwrite]", stderr)
	teacher := fs.String("teacher", "blazepose-full", "primary teacher: blazepose-lite, blazepose-full or blazepose-heavy")
	senior := fs.String("senior", "blazepose-heavy", "senior teacher (its people are the pseudo ground truth, its mask the mask knowledge)")
	images := fs.String("images", "", "comma-separated images, directories of images and videos (ffmpeg)")
	out := fs.String("out", "", "student run directory (the pseudo-labelled dataset goes to OUT/data unless --data)")
	data := fs.String("data", "", "pseudo-labelled dataset directory (default OUT/data)")
	configPath := fs.String("config", "", "student config (train config YAML; default a mobilenetv2 at --input)")
	input := fs.String("input", "64x96", "student input WxH (multiples of 32) when no --config")
	frames := fs.Int("frames", 90, "video frames used per video (after --stride)")
	stride := fs.Int("stride", 8, "use every S-th video frame")
	holdout := fs.Float64("holdout", 0.25, "trailing fraction of each video's --frames sampled frames held out for the agreement AP (keep --frames × --stride within the video, or fewer are held out)")
	steps := fs.Int("steps", 200, "training steps (overrides the config)")
	batch := fs.Int("batch", 8, "batch size (overrides the config)")
	seed := fs.Uint64("seed", 1, "seed")
	alpha := fs.Float64("alpha", 0.5, "pseudo-GT share of the heatmap loss; the teacher in its stage has 1 − alpha")
	binarize := fs.Float64("binarize", 0.5, "binarize teacher heatmaps at this fraction of each channel's peak (0: off)")
	tile := fs.Int("detect-tile", 300, "scan video frames for people in square tiles of `side` pixels (0: whole frame); photos are scanned whole")
	mask := fs.Bool("mask", true, "learn the senior's segmentation with a light mask head and restrict heatmaps to it")
	overwrite := fs.Bool("overwrite", false, "start a new run in --out even if it holds one (its run files are removed; pseudo labels are kept)")
	resume := fs.Bool("resume", false, "continue the run in --out from its checkpoint (give the same flags as the interrupted run); complete pseudo labels in --data are reused")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *images == "" || *out == "" {
		fmt.Fprintln(fs.Output(), "posedistill distill: --images and --out are required with a BlazePose --teacher")
		fs.Usage()
		return errUsage
	}
	if !(*holdout > 0 && *holdout < 1) || *frames <= 0 || *stride <= 0 {
		return fmt.Errorf("--holdout must be in (0, 1), --frames and --stride positive")
	}
	primaryFile, ok1 := blazePoseModels[*teacher]
	seniorFile, ok2 := blazePoseModels[*senior]
	if !ok1 || !ok2 {
		return fmt.Errorf("--teacher %q, --senior %q: want blazepose-lite, blazepose-full or blazepose-heavy", *teacher, *senior)
	}
	cfg, err := unlabeledConfig(*configPath, *input)
	if err != nil {
		return err
	}
	cfg.Steps, cfg.BatchSize, cfg.Seed = *steps, *batch, *seed
	cfg.WarmupSteps = min(cfg.WarmupSteps, cfg.Steps/5)
	cfg.CheckpointEvery, cfg.ValidateEvery = 0, 0
	if *data == "" {
		*data = filepath.Join(*out, "data")
	}
	// One process at a time writes the pseudo labels and the run (train.Run re-enters the lock).
	lock, err := rundir.Acquire(*out)
	if err != nil {
		return err
	}
	defer lock.Release()
	cache, err := modelstore.DefaultCacheDir()
	if err != nil {
		return err
	}
	be, err := backend.New(cfg.Backend)
	if err != nil {
		return err
	}
	defer be.Finalize()
	var ti, tp, vi, vp int
	if *resume && pseudoLabelsWritten(*data) {
		if ti, tp, vi, vp, err = countPseudoLabels(ctx, *data); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "resume: reusing the pseudo labels in %s\n", *data)
	} else {
		pipe, err := blazepose.NewPipeline(be, cache, seniorFile)
		if err != nil {
			return fmt.Errorf("%w (run 'posedistill models fetch blazepose' first)", err)
		}
		lab, err := distill.NewPseudoLabeler(pipe, *data, distill.PseudoOptions{})
		if err != nil {
			return err
		}
		if err := pseudoLabelInputs(ctx, lab, strings.Split(*images, ","), *frames, *stride, *tile, *holdout, stderr); err != nil {
			return err
		}
		if err := lab.Finish(); err != nil {
			return err
		}
		ti, tp, vi, vp = lab.Counts()
	}
	fmt.Fprintf(stderr, "pseudo labels (%s): train %d images %d people, held out %d images %d people (%s)\n", *senior, ti, tp, vi, vp, *data)
	var bin *distill.Binarization
	if *binarize > 0 {
		b := distill.Binarization{Threshold: *binarize, Floor: distill.DefaultBinarization().Floor}
		if err := b.Validate(); err != nil {
			return err
		}
		bin = &b
	}
	res, err := distill.DistillUnlabeled(ctx, distill.UnlabeledOptions{
		Config: cfg, DataDir: *data, OutDir: *out,
		PrimaryModel: modelstore.BlazePosePath(cache, primaryFile), SeniorModel: modelstore.BlazePosePath(cache, seniorFile),
		Alpha: *alpha, Binarize: bin, Mask: *mask, MaskWeight: 0.1, RestrictWeight: 1,
		Resume: *resume, Overwrite: *overwrite, Backend: be, Progress: stderr,
	})
	if err != nil {
		return err
	}
	v := res.Train.Val
	fmt.Fprintf(stdout, "%s: %d steps, loss %.4g; agreement with %s on %d held-out people: AP %.3f AP50 %.3f AP75 %.3f; batch-1 ms: student %.2f, %s %.2f, %s %.2f (%s)\n",
		cfg.Name, res.Train.Steps, res.Train.Loss, *senior, vp, v.AP, v.AP50, v.AP75, res.StudentMS, *teacher, res.PrimaryMS, *senior, res.SeniorMS, *out)
	return nil
}

// pseudoLabelsWritten reports whether dir holds both splits of a finished PseudoLabeler (Finish
// writes val.json last).
func pseudoLabelsWritten(dir string) bool {
	for _, name := range []string{"train.json", "val.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// countPseudoLabels returns the image and people counts of the pseudo-labelled splits in dir, as
// PseudoLabeler.Counts reports them.
func countPseudoLabels(ctx context.Context, dir string) (trainImages, trainPeople, valImages, valPeople int, err error) {
	var n [2][2]int
	for i, name := range []string{"train.json", "val.json"} {
		d, err := dataset.Read(ctx, filepath.Join(dir, name), dataset.ReadOptions{})
		if err != nil {
			return 0, 0, 0, 0, fmt.Errorf("resume: pseudo labels: %w", err)
		}
		n[i] = [2]int{len(d.Images), len(d.Annotations)}
	}
	return n[0][0], n[0][1], n[1][0], n[1][1], nil
}

// unlabeledConfig reads the student config, or makes a small mobilenetv2 one of size "WxH".
func unlabeledConfig(path, input string) (train.Config, error) {
	if path != "" {
		return train.LoadConfig(path)
	}
	cfg := train.DefaultConfig()
	cfg.Name = "unlabeled"
	if _, err := fmt.Sscanf(input, "%dx%d", &cfg.InputW, &cfg.InputH); err != nil {
		return cfg, fmt.Errorf("--input %q: want WxH, e.g. 64x96", input)
	}
	return cfg, cfg.Validate()
}

// videoExts are the file extensions read as video through ffmpeg.
var videoExts = []string{".avi", ".mp4", ".mkv", ".mov", ".webm", ".mpg", ".mpeg"}

// imageExts are the file extensions read as images.
var imageExts = []string{".png", ".jpg", ".jpeg"}

// pseudoLabelInputs feeds the labeler every image (train, scanned whole) and every video's sampled
// frames (scanned in tiles of side tile, the trailing holdout fraction held out), in the order
// given; directories are listed sorted.
func pseudoLabelInputs(ctx context.Context, lab *distill.PseudoLabeler, inputs []string, frames, stride, tile int, holdout float64, stderr io.Writer) error {
	var files []string
	for _, in := range inputs {
		in = strings.TrimSpace(in)
		if in == "" {
			continue
		}
		st, err := os.Stat(in)
		if err != nil {
			return fmt.Errorf("--images: %w", err)
		}
		if !st.IsDir() {
			files = append(files, in)
			continue
		}
		entries, err := os.ReadDir(in)
		if err != nil {
			return fmt.Errorf("--images: %w", err)
		}
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if !e.IsDir() && (slices.Contains(imageExts, ext) || slices.Contains(videoExts, ext)) {
				files = append(files, filepath.Join(in, e.Name()))
			}
		}
	}
	for i, f := range files {
		base := fmt.Sprintf("%03d_%s", i, strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)))
		ext := strings.ToLower(filepath.Ext(f))
		if slices.Contains(videoExts, ext) {
			lab.Options.DetectTile = tile
			if err := pseudoLabelVideo(ctx, lab, f, base, frames, stride, holdout, stderr); err != nil {
				return err
			}
			continue
		}
		if !slices.Contains(imageExts, ext) {
			return fmt.Errorf("--images %s: not an image (%s) or a video (%s)", f, strings.Join(imageExts, " "), strings.Join(videoExts, " "))
		}
		lab.Options.DetectTile = 0
		img, err := dataset.LoadImage(f)
		if err != nil {
			return err
		}
		n, err := lab.Add(ctx, base, img, false)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%s: %d people\n", f, n)
	}
	return nil
}

// pseudoLabelVideo labels every stride-th frame of a video, up to frames of them; the last
// holdout fraction of them go to val.
func pseudoLabelVideo(ctx context.Context, lab *distill.PseudoLabeler, path, base string, frames, stride int, holdout float64, stderr io.Writer) error {
	info, err := probeVideo(ctx, path)
	if err != nil {
		return err
	}
	dec, err := startDecoder(ctx, path, info, frames*stride)
	if err != nil {
		return err
	}
	defer dec.abort()
	firstHeld := frames - int(float64(frames)*holdout+0.5)
	used, people := 0, 0
	for i := 0; used < frames; i++ {
		img, err := dec.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s frame %d: %w", path, i, err)
		}
		if i%stride != 0 {
			continue
		}
		n, err := lab.Add(ctx, fmt.Sprintf("%s_%05d", base, i), img, used >= firstHeld)
		if err != nil {
			return err
		}
		used, people = used+1, people+n
	}
	if err := dec.close(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s: %d sampled frames, %d people (sampled frames #%d on held out)\n", path, used, people, firstHeld)
	return nil
}
