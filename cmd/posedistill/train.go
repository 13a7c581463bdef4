package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"

	"github.com/posedistill/posedistill/distill"

	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/train"
)

// runTrain trains a network from an experiment config on a dataset directory.
func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", "train --config configs/X.yaml --data DIR --out RUN [--steps N] [--resume | --overwrite] [--init CKPT] [--mask-weight W] [--batch N] [--lr LR] [--seed S] [--validate-every N] [--checkpoint-every N] [--backend B] [--skip-bad-images]", stderr)
	configPath := fs.String("config", "", "experiment config (YAML or JSON)")
	data := fs.String("data", "", "dataset directory with train.json, val.json and images (posedistill synth --out DIR)")
	out := fs.String("out", "", "run directory: checkpoints, metrics.jsonl, curves.png")
	resume := fs.Bool("resume", false, "continue the run in --out from its checkpoint (with the run's config and dataset; --config, if given, must match it)")
	overwrite := fs.Bool("overwrite", false, "start a new run in --out even if it holds one (its files are removed)")
	skipBad := fs.Bool("skip-bad-images", false, "train without the images that fail the up-front check (missing, unreadable, wrong size) instead of refusing the dataset")
	initFrom := fs.String("init", "", "fine-tune: initialise the network's weights from this checkpoint (same layers and shapes; optimizer state is not loaded)")
	maskWeight := fs.Float64("mask-weight", 0, "also train a light mask head on the GT person masks, with this weight of its BCE (a senior teacher for ODKD's mask knowledge); 0: no mask head")
	overrides := addConfigFlags(fs, "steps", "batch", "lr", "seed", "validate-every", "checkpoint-every", "workers", "backend")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *data == "" || *out == "" || (*configPath == "" && !*resume) {
		fmt.Fprintln(fs.Output(), "posedistill train: --config (or --resume), --data and --out are required")
		fs.Usage()
		return errUsage
	}
	var cfg train.Config
	var err error
	if *resume && *configPath == "" {
		cfg, err = train.ReadRunConfig(*out)
	} else {
		cfg, err = train.LoadConfig(*configPath)
	}
	if err != nil {
		return err
	}
	if err := overrides.apply(&cfg); err != nil {
		return err
	}
	if *resume && *initFrom != "" {
		return fmt.Errorf("--init starts a run; --resume continues one: give one of them")
	}
	if !(*maskWeight >= 0) {
		return fmt.Errorf("invalid --mask-weight %v (a weight ≥ 0)", *maskWeight)
	}
	// A mask head makes the run a recipe's (distill.Train: recipe.json); a resumed run keeps the
	// recipe it saved.
	var rec *distill.Recipe
	if *maskWeight > 0 {
		rec = &distill.Recipe{MaskHead: true, GTMaskWeight: *maskWeight}
	}
	if *resume {
		saved, err := distill.ReadRecipe(*out)
		switch {
		case err == nil && rec != nil && !reflect.DeepEqual(saved, *rec):
			return fmt.Errorf("--mask-weight %v differs from the run's %s", *maskWeight, filepath.Join(*out, distill.RecipeFile))
		case err == nil:
			rec = &saved
		case !errors.Is(err, distill.ErrNoRecipe):
			return err
		case rec != nil:
			return fmt.Errorf("--mask-weight: the run in %s was trained without a mask head; resume it without the flag", *out)
		}
	}
	var net *nets.Net
	switch {
	case *resume:
		net, err = train.ReadRunNet(*out, cfg)
	case rec != nil:
		net, err = rec.Net(cfg)
	default:
		net, err = cfg.Net()
	}
	if err != nil {
		return err
	}
	fl, _ := net.FLOPs(cfg.InputH, cfg.InputW)
	fmt.Fprintf(stdout, "%s: %s, %d params, %.1f MFLOP per %dx%d crop, %d steps of %d\n",
		cfg.Name, net.Name, net.Params(), float64(fl)/1e6, cfg.InputW, cfg.InputH, cfg.Steps, cfg.BatchSize)
	if rec != nil {
		if *skipBad {
			return fmt.Errorf("--skip-bad-images is not supported with a mask head (--mask-weight or a run with recipe.json)")
		}
		res, err := distill.Train(ctx, distill.RunOptions{Config: cfg, Recipe: *rec, Net: net, DataDir: *data, OutDir: *out,
			Resume: *resume, Overwrite: *overwrite, Init: *initFrom, Progress: stderr})
		if err != nil {
			return err
		}
		v := res.Val
		fmt.Fprintf(stdout, "%s: %d steps in %s, final loss %.3g\nval: AP %.3f AP50 %.3f AP75 %.3f AR %.3f AR50 %.3f\n",
			cfg.Name, res.Steps, runTime(seconds(res.Elapsed), seconds(res.StepTime), res.ImgPerSec), res.Loss, v.AP, v.AP50, v.AP75, v.AR, v.AR50)
		return nil
	}
	sum, err := train.Run(ctx, cfg, train.Options{DataDir: *data, OutDir: *out, Resume: *resume, Overwrite: *overwrite, SkipBadImages: *skipBad, Net: net, Init: *initFrom, Progress: stderr})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d steps in %s, final loss %.3g\n",
		cfg.Name, sum.Steps, runTime(sum.Elapsed, sum.StepTime, sum.ImgPerSec), sum.Loss)
	if sum.Val != nil {
		v := sum.Val
		fmt.Fprintf(stdout, "val: AP %.3f AP50 %.3f AP75 %.3f AR %.3f AR50 %.3f (best AP %.3f) PCK@0.1 %.3f L/R swap %.3f inversion %.3f\n", v.AP, v.AP50, v.AP75, v.AR, v.AR50, sum.BestAP, sum.ValPCK, sum.ValSwap, sum.ValInversion)
	}
	return nil
}
