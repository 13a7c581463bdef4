package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/pseudolabel"
	"github.com/posedistill/posedistill/train"
)

// runDistillUnlabeled (pseudolabel.Run) distills a student from two BlazePose models on unlabeled images and video
// frames: the senior's people are the pseudo ground truth, the held-out frames measure how
// closely the student agrees with it.
func runDistillUnlabeled(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("distill-unlabeled", "distill-unlabeled --teacher blazepose-full --senior blazepose-heavy --images DIR|VIDEO|IMAGE[,…] --out RUN [--data DIR] [--variant odkd|primary|senior|pseudo-gt] [--frames N] [--stride S] [--holdout F] [--init CKPT] [--steps N] [--seed N] [--validate-every N] [--3d] [--teacher-cache=false] [--label-only] [--resume | --overwrite]", stderr)
	teacher := fs.String("teacher", "blazepose-full", "primary teacher: blazepose-lite, blazepose-full or blazepose-heavy")
	senior := fs.String("senior", "blazepose-heavy", "senior teacher (its people are the pseudo ground truth, its mask the mask knowledge)")
	images := fs.String("images", "", "comma-separated images, directories of images and videos (ffmpeg)")
	out := fs.String("out", "", "student run directory (the pseudo-labelled dataset goes to OUT/data unless --data)")
	data := fs.String("data", "", "pseudo-labelled dataset directory (default OUT/data)")
	configPath := fs.String("config", "", "student config (train config YAML; default a mobilenetv2 at --input)")
	initFrom := fs.String("init", "", "initialise the student's weights from this checkpoint (a grafted trunk from 'models graft', same layers and shapes)")
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
	latencyRuns := fs.Int("latency-runs", 20, "batch-1 inferences timed per model (median)")
	baseline := fs.String("baseline", "blazepose-lite", "BlazePose model scored on the held-out people as the student is, for comparison (empty: none)")
	variant := fs.String("variant", "odkd", "who teaches: odkd (primary then senior in ODKD's order, with the senior's mask), primary (the primary alone), senior (the senior alone), pseudo-gt (no teacher, the senior's pseudo labels only); every variant has the same network (mask head included)")
	mask := fs.Bool("mask", true, "learn the senior's segmentation with a light mask head and restrict heatmaps to it")
	overwrite := fs.Bool("overwrite", false, "start a new run in --out even if it holds one (its run files are removed; pseudo labels are kept)")
	teacherCache := fs.Bool("teacher-cache", true, "run each teacher once per training person and cache its outputs (in the model cache's teacher-records/), warped to each augmented crop; false runs both teachers on every batch")
	validateEvery := fs.Int("validate-every", 0, "measure the agreement with the senior on the held-out people every N steps (the report's agreement curve; 0: at the end only)")
	checkpointEvery := fs.Int("checkpoint-every", 250, "save a checkpoint every N steps (--resume continues from the last; 0: at the end only)")
	pose3D := fs.Bool("3d", false, "also learn 3D: MoVNect's location maps from the senior's world landmarks (the pseudo labels' 3D joints; --variant pseudo-gt and a MoVNect --config), MPJPE against them on the held-out people")
	labelOnly := fs.Bool("label-only", false, "stop after the pseudo labels are written (an interrupted labelling resumes where it stopped either way)")
	resume := fs.Bool("resume", false, "continue the run in --out from its checkpoint with the recipe it saved (to --steps); complete pseudo labels in --data are reused")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *images == "" || *out == "" {
		fmt.Fprintln(fs.Output(), "posedistill distill-unlabeled: --images and --out are required")
		fs.Usage()
		return errUsage
	}
	if !(*holdout > 0 && *holdout < 1) || *frames <= 0 || *stride <= 0 {
		return fmt.Errorf("--holdout must be in (0, 1), --frames and --stride positive")
	}
	if _, err := modelstore.BlazePoseLandmark(*teacher); err != nil {
		return fmt.Errorf("--teacher: %w", err)
	}
	if _, err := modelstore.BlazePoseLandmark(*senior); err != nil {
		return fmt.Errorf("--senior: %w", err)
	}
	cfg, err := unlabeledConfig(*configPath, *input)
	if err != nil {
		return err
	}
	cfg.Steps, cfg.BatchSize, cfg.Seed = *steps, *batch, *seed
	cfg.WarmupSteps = min(cfg.WarmupSteps, cfg.Steps/5)
	if *validateEvery < 0 || *checkpointEvery < 0 {
		return fmt.Errorf("--validate-every and --checkpoint-every must be ≥ 0")
	}
	cfg.CheckpointEvery, cfg.ValidateEvery = *checkpointEvery, *validateEvery
	if *data == "" {
		*data = filepath.Join(*out, "data")
	}
	var recordDir string
	if *teacherCache {
		cache, err := modelstore.DefaultCacheDir()
		if err != nil {
			return err
		}
		recordDir = filepath.Join(cache, "teacher-records")
	}
	be, err := backend.New(cfg.Backend)
	if err != nil {
		return err
	}
	defer be.Finalize()
	var bin *distill.Binarization
	if *binarize > 0 {
		bin = &distill.Binarization{Threshold: *binarize, Floor: distill.DefaultBinarization().Floor}
	}
	primaryRef := distill.TeacherRef{Name: distill.PrimaryName, Model: *teacher, Binarize: bin}
	seniorRef := distill.TeacherRef{Name: distill.SeniorName, Model: *senior, Binarize: bin}
	rec := distill.Recipe{Alpha: *alpha, MaskHead: true}
	switch *variant {
	case "odkd":
		rec.Teachers, rec.Order, rec.Switch = []distill.TeacherRef{primaryRef, seniorRef}, distill.Ordered, cfg.Steps/2
		if *mask {
			rec.Mask, rec.MaskWeight, rec.RestrictWeight = true, 0.1, 1
		}
	case "primary":
		rec.Teachers = []distill.TeacherRef{primaryRef}
	case "senior":
		rec.Teachers = []distill.TeacherRef{seniorRef}
	case "pseudo-gt":
		rec.Alpha = 1
	default:
		return fmt.Errorf("--variant %q: want odkd, primary, senior or pseudo-gt", *variant)
	}
	if *pose3D {
		if *variant != "pseudo-gt" {
			return fmt.Errorf("--3d: the senior's world landmarks are its 3D teaching; use it with --variant pseudo-gt")
		}
		if cfg.Model.Arch != "movnect" && cfg.Model.File == "" {
			return fmt.Errorf("--3d: the student needs location maps: a MoVNect --config (model.arch movnect, or a model.file with location maps from 'models graft --locations'), not %q", cfg.Model.Arch)
		}
		if cfg.Codec == "integral" {
			return fmt.Errorf("--3d: the 3D terms read the location maps under heatmap peaks: a --config with codec msra, unbiased or udp, not integral")
		}
		rec.Pose3D = &distill.Pose3DTerms{BoneWeight: 0.1}
		cfg.Targets.Locations = true
	}
	if *initFrom != "" {
		if *resume {
			return fmt.Errorf("--init starts a run; --resume continues one from its own checkpoint: give one of them")
		}
		if _, _, err := train.ReadCheckpoint(*initFrom); err != nil {
			return fmt.Errorf("--init: %w", err)
		}
	}
	if *resume {
		if rec, err = distill.ReadRecipe(*out); err != nil {
			return err
		}
	}
	if err := rec.Validate(); err != nil {
		return err
	}
	res, n, err := pseudolabel.Run(ctx, pseudolabel.RunOptions{
		Inputs: strings.Split(*images, ","), Frames: *frames, Stride: *stride, DetectTile: *tile, Holdout: *holdout,
		Distill: pseudolabel.UnlabeledOptions{Config: cfg, Primary: *teacher, Senior: *senior, Baseline: *baseline, LatencyRuns: *latencyRuns, DataDir: *data, OutDir: *out, Init: *initFrom, Recipe: rec, TeacherCache: recordDir, Resume: *resume, Overwrite: *overwrite, Backend: be, Progress: stderr,
			Command: "posedistill distill-unlabeled " + strings.Join(args, " ")},
		Log:       stderr,
		LabelOnly: *labelOnly,
	})
	if err != nil {
		return err
	}
	if *labelOnly {
		fmt.Fprintf(stdout, "pseudo labels in %s: train %d images %d people, held out %d images %d people\n", *data, n.TrainImages, n.TrainPeople, n.ValImages, n.ValPeople)
		return nil
	}
	v := res.Train.Val
	if res.Baseline != "" {
		fmt.Fprintf(stdout, "baseline %s on the same held-out people: AP %.3f AP50 %.3f AP75 %.3f, batch-1 %.2f ms\n", res.Baseline, res.BaselineAgreement.AP, res.BaselineAgreement.AP50, res.BaselineAgreement.AP75, res.BaselineMS)
	}
	defer fmt.Fprintf(stdout, "report: %s\n", filepath.Join(*out, pseudolabel.ReportFile))
	if p3 := res.Train.Pose3D; p3 != nil {
		defer fmt.Fprintf(stdout, "3D: MPJPE %.1f mm, PA-MPJPE %.1f mm against %s's world landmarks on the held-out people\n", p3.MPJPE, p3.PAMPJPE, *senior)
	}
	fmt.Fprintf(stdout, "%s: %d steps, loss %.4g; agreement with %s on %d held-out people: AP %.3f AP50 %.3f AP75 %.3f; batch-1 ms: student %.2f, %s %.2f, %s %.2f (%s)\n",
		cfg.Name, res.Train.Steps, res.Train.Loss, *senior, n.ValPeople, v.AP, v.AP50, v.AP75, res.StudentMS, *teacher, res.PrimaryMS, *senior, res.SeniorMS, *out)
	return nil
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
