package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/train"
)

// runDistill trains a student from one teacher (MoVNect/FPD) or two (ODKD): the flags make a
// distill.Recipe, which the run saves; --resume reads it and the config back from the run.
func runDistill(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("distill", "distill --config STUDENT.yaml --data DIR --out RUN --teacher RUN [--senior RUN] [--order ordered|unordered|reversed] [--alpha A] [--binarize T] [--mask] [--gt-mask-weight W] [--hints FILE [--hint-weight W]] [--3d [--location-weight W]] [--pair-weight W] [--overwrite] [--init CKPT]\n       posedistill distill --resume --out RUN [--steps N] [--data DIR]", stderr)
	configPath := fs.String("config", "", "student experiment config (train config YAML)")
	data := fs.String("data", "", "dataset directory (posedistill synth --out DIR)")
	out := fs.String("out", "", "student run directory")
	teacher := fs.String("teacher", "", "run directory of the (primary) teacher")
	senior := fs.String("senior", "", "run directory of the senior teacher (ODKD); its mask head, if any, teaches segmentation")
	order := fs.String("order", "ordered", "with two teachers: ordered (primary then senior), unordered (both at once) or reversed")
	primarySteps := fs.Int("primary-steps", 0, "ordered: the step the senior teacher takes over (0: half the run); reversed: the step the primary takes over")
	alpha := fs.Float64("alpha", 0.5, "GT share α of the heatmap loss α‖H−H_GT‖² + (1−α)‖H−H_T‖²")
	alphaEnd := fs.Float64("alpha-end", -1, "when ≥ 0, α goes linearly from --alpha to this over the run")
	binarize := fs.Float64("binarize", 0, "binarize teacher heatmaps at this fraction of each channel's peak (0: off; ODKD uses 0.5)")
	mask := fs.Bool("mask", false, "learn the senior teacher's mask with a light mask head and restrict heatmaps to it")
	maskWeight := fs.Float64("mask-weight", 0.1, "weight of the mask BCE term")
	restrictWeight := fs.Float64("restrict-weight", 1, "weight of the mask restriction term")
	locWeight := fs.Float64("location-weight", 0, "--3d: weight of the location-map terms (0: 1)")
	jointWeight := fs.Float64("joint-weight", 0, "--3d: weight of the joint-level L1 location term against the GT (0: off)")
	pose3d := fs.Bool("3d", false, "learn MoVNect's X/Y/Z location maps from the dataset's 3D joints (and a bone-length term); --teacher is then optional and, when given, teaches its location maps too")
	hintsFile := fs.String("hints", "", "feature distillation: the hints `file` of a grafted student (models graft writes DIR/hints.json); its stages learn the teacher's channels they were cut from")
	hintWeight := fs.Float64("hint-weight", 1, "weight of each hint's normalised error (with --hints)")
	pairWeight := fs.Float64("pair-weight", 0, "weight of the left/right pair term: heatmap mass where the joint's counterpart on the other side stands costs this much more (0: off)")
	gtMaskWeight := fs.Float64("gt-mask-weight", 0, "also train a light mask head on the GT person masks, with this weight of its BCE (as train --mask-weight); 0: no GT mask term")
	overrides := addConfigFlags(fs, "steps", "seed")
	resume := fs.Bool("resume", false, "continue the run in --out from its checkpoint, with the config.json and recipe.json it saved (only --out, and --data or --steps to change them, go with it)")
	overwrite := fs.Bool("overwrite", false, "start a new run in --out even if it holds one (its files are removed)")
	initFrom := fs.String("init", "", "initialise the student's weights from this checkpoint (fine-tuning; same layers and shapes)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if modelstore.IsBlazePose(*teacher) {
		return fmt.Errorf("--teacher %s: distillation from BlazePose without labels is 'posedistill distill-unlabeled'", *teacher)
	}
	if *resume {
		var extra []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name != "resume" && f.Name != "out" && f.Name != "data" && f.Name != "steps" {
				extra = append(extra, "--"+f.Name)
			}
		})
		if len(extra) > 0 {
			return fmt.Errorf("--resume takes the configuration and recipe from the run: drop %v", extra)
		}
		if *out == "" {
			return fmt.Errorf("--resume needs --out")
		}
		if *data == "" {
			var err error
			if *data, err = distill.ReadDataDir(*out); err != nil {
				return fmt.Errorf("--resume without --data: %w", err)
			}
		}
		return distillResume(ctx, *data, *out, overrides, stdout, stderr)
	}
	if *configPath == "" || *data == "" || *out == "" || (*teacher == "" && !*pose3d) {
		fmt.Fprintln(fs.Output(), "posedistill distill: --config, --data, --out and --teacher (optional with --3d) are required")
		fs.Usage()
		return errUsage
	}
	cfg, err := train.LoadConfig(*configPath)
	if err != nil {
		return err
	}
	if err := overrides.apply(&cfg); err != nil {
		return err
	}
	if !(*gtMaskWeight >= 0) {
		return fmt.Errorf("invalid --gt-mask-weight %v (a weight ≥ 0)", *gtMaskWeight)
	}
	if !(*pairWeight >= 0) {
		return fmt.Errorf("invalid --pair-weight %v (a weight ≥ 0)", *pairWeight)
	}
	rec := distill.Recipe{Alpha: *alpha, GTMaskWeight: *gtMaskWeight, PairWeight: *pairWeight}
	if *hintsFile != "" {
		abs, err := filepath.Abs(*hintsFile)
		if err != nil {
			return err
		}
		rec.Hints = &distill.HintTerms{File: abs, Weight: *hintWeight}
	} else if *hintWeight != 1 {
		return fmt.Errorf("distill: --hint-weight needs --hints")
	}
	if *alphaEnd >= 0 {
		rec.AlphaEnd = alphaEnd
	}
	var bin *distill.Binarization
	if *binarize > 0 {
		bin = &distill.Binarization{Threshold: *binarize, Floor: distill.DefaultBinarization().Floor}
	}
	if *teacher != "" {
		rec.Teachers = []distill.TeacherRef{{Name: distill.PrimaryName, Run: *teacher, Binarize: bin}}
	} else if *senior != "" {
		return fmt.Errorf("--senior needs a --teacher")
	}
	if (*locWeight != 0 || *jointWeight != 0) && !*pose3d {
		return fmt.Errorf("distill: --location-weight and --joint-weight need --3d")
	}
	if *pose3d {
		rec.Pose3D = &distill.Pose3DTerms{BoneWeight: 0.1, LocationWeight: *locWeight, JointWeight: *jointWeight}
		cfg.Targets.Locations = true
		if *teacher != "" {
			teacherCfg, err := train.ReadRunConfig(*teacher)
			if err != nil {
				return fmt.Errorf("--teacher: %w", err)
			}
			net, err := train.ReadRunNet(*teacher, teacherCfg)
			if err != nil {
				return fmt.Errorf("--teacher: %w", err)
			}
			rec.Pose3D.TeacherIs2D = net.Heads.Locations == ""
		}
	}
	if *senior == "" && *mask {
		return fmt.Errorf("--mask needs a --senior teacher with a mask head")
	}
	if *senior != "" {
		rec.Teachers = append(rec.Teachers, distill.TeacherRef{Name: distill.SeniorName, Run: *senior, Binarize: bin})
		rec.Order, rec.Switch = distill.Order(*order), *primarySteps
		if rec.Switch == 0 && rec.Order != distill.Unordered {
			rec.Switch = cfg.Steps / 2
		}
		if *mask {
			seniorCfg, err := train.ReadRunConfig(*senior)
			if err != nil {
				return err
			}
			if net, err := train.ReadRunNet(*senior, seniorCfg); err != nil {
				return err
			} else if net.Heads.Mask == "" {
				return fmt.Errorf("--mask: the senior teacher %s has no mask head", *senior)
			}
			rec.Mask, rec.MaskWeight, rec.RestrictWeight = true, *maskWeight, *restrictWeight
		}
	}
	if *initFrom != "" {
		// A student initialised from a network with a mask head (a student pretrained with
		// train --mask-weight) keeps it, so that every layer of the checkpoint has a place.
		info, _, err := train.ReadCheckpoint(*initFrom)
		if err != nil {
			return fmt.Errorf("--init: %w", err)
		}
		rec.MaskHead = rec.MaskHead || info.Net.Heads.Mask != ""
	}
	if err := rec.Validate(); err != nil {
		return err
	}
	return distillRun(ctx, distill.RunOptions{Config: cfg, Recipe: rec, DataDir: *data, OutDir: *out, Init: *initFrom, Overwrite: *overwrite, Progress: stderr}, stdout)
}

// distillResume continues the run in out with the configuration and recipe it saved, to --steps
// when given (extending the run).
func distillResume(ctx context.Context, data, out string, overrides *configFlags, stdout, stderr io.Writer) error {
	cfg, err := train.ReadRunConfig(out)
	if err != nil {
		return err
	}
	if err := overrides.apply(&cfg); err != nil {
		return err
	}
	rec, err := distill.ReadRecipe(out)
	if err != nil {
		return err
	}
	return distillRun(ctx, distill.RunOptions{Config: cfg, Recipe: rec, DataDir: data, OutDir: out, Resume: true, Progress: stderr}, stdout)
}

// distillRun trains with opts on the configuration's backend and prints the result line.
func distillRun(ctx context.Context, opts distill.RunOptions, stdout io.Writer) error {
	be, err := backend.New(opts.Config.Backend)
	if err != nil {
		return err
	}
	defer be.Finalize()
	opts.Backend = be
	res, err := distill.Train(ctx, opts)
	if err != nil {
		return err
	}
	cfg := opts.Config
	fmt.Fprintf(stdout, "%s: %d steps, loss %.4g, val AP %.3f AP50 %.3f AP75 %.3f (%s)\n", cfg.Name, res.Steps, res.Loss, res.Val.AP, res.Val.AP50, res.Val.AP75, opts.OutDir)
	fmt.Fprintf(stdout, "%s\n", stepShare(res))
	return nil
}
