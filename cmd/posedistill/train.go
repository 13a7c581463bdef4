package main

import (
	"context"
	"fmt"
	"io"

	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/train"
)

// runTrain trains a network from an experiment config on a dataset directory.
func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", "train --config configs/X.yaml --data DIR --out RUN [--steps N] [--resume] [--init CKPT] [--batch N] [--lr LR] [--seed S] [--validate-every N] [--checkpoint-every N] [--backend B]", stderr)
	configPath := fs.String("config", "", "experiment config (YAML or JSON)")
	data := fs.String("data", "", "dataset directory with train.json, val.json and images (posedistill synth --out DIR)")
	out := fs.String("out", "", "run directory: checkpoints, metrics.jsonl, curves.png")
	resume := fs.Bool("resume", false, "continue the run in --out from its checkpoint (its saved config wins over --config)")
	initFrom := fs.String("init", "", "fine-tune: initialise the network's weights from this checkpoint (same layers and shapes; optimizer state is not loaded)")
	steps := fs.Int("steps", 0, "override the config's steps")
	batch := fs.Int("batch", 0, "override the config's batch_size")
	lr := fs.Float64("lr", 0, "override the config's lr")
	seed := fs.Uint64("seed", 0, "override the config's seed")
	valEvery := fs.Int("validate-every", -1, "override the config's validate_every")
	ckptEvery := fs.Int("checkpoint-every", -1, "override the config's checkpoint_every")
	workers := fs.Int("workers", 0, "override the config's data-loading workers")
	backend := fs.String("backend", "", "override the config's GoMLX backend (go, onnx:cpu)")
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
	if *resume {
		cfg, err = train.ReadRunConfig(*out)
	} else {
		cfg, err = train.LoadConfig(*configPath)
	}
	if err != nil {
		return err
	}
	if *steps > 0 {
		cfg.Steps = *steps
	}
	if *batch > 0 {
		cfg.BatchSize = *batch
	}
	if *lr > 0 {
		cfg.LR = *lr
	}
	if *seed > 0 {
		cfg.Seed = *seed
	}
	if *valEvery >= 0 {
		cfg.ValidateEvery = *valEvery
	}
	if *ckptEvery >= 0 {
		cfg.CheckpointEvery = *ckptEvery
	}
	if *workers > 0 {
		cfg.Workers = *workers
	}
	if *backend != "" {
		cfg.Backend = *backend
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("flags: %w", err)
	}
	if *resume && *initFrom != "" {
		return fmt.Errorf("--init starts a run; --resume continues one: give one of them")
	}
	var net *nets.Net
	if *resume {
		net, err = train.ReadRunNet(*out, cfg)
	} else {
		net, err = cfg.Net()
	}
	if err != nil {
		return err
	}
	fl, _ := net.FLOPs(cfg.InputH, cfg.InputW)
	fmt.Fprintf(stdout, "%s: %s, %d params, %.1f MFLOP per %dx%d crop, %d steps of %d\n",
		cfg.Name, net.Name, net.Params(), float64(fl)/1e6, cfg.InputW, cfg.InputH, cfg.Steps, cfg.BatchSize)
	sum, err := train.Run(ctx, cfg, train.Options{DataDir: *data, OutDir: *out, Resume: *resume, Net: net, Init: *initFrom, Progress: stderr})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d steps in %s (%.1f img/s), final loss %.3g\n", cfg.Name, sum.Steps, sum.Elapsed.Round(1e9), sum.ImgPerSec, sum.Loss)
	if sum.Val != nil {
		v := sum.Val
		fmt.Fprintf(stdout, "val: AP %.3f AP50 %.3f AP75 %.3f AR %.3f AR50 %.3f (best AP %.3f) PCK@0.1 %.3f L/R swap %.3f\n", v.AP, v.AP50, v.AP75, v.AR, v.AR50, sum.BestAP, sum.ValPCK, sum.ValSwap)
	}
	return nil
}
