package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/rundir"
)

// runExperiment runs a distillation ablation: data, cached teachers, every variant × seed,
// then the table and the plot.
func runExperiment(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("experiment", "experiment --config configs/odkd_ablation.yaml [--out DIR] [--cache DIR] [--scale F]", stderr)
	configPath := fs.String("config", "configs/odkd_ablation.yaml", "experiment file")
	out := fs.String("out", "", "output directory (default: runs/<experiment name>)")
	cache := fs.String("cache", "", "cache of datasets and teachers (default: $POSEDISTILL_CACHE, then the user cache directory)")
	scale := fs.Float64("scale", 1, "multiply every run's steps by this factor (smoke runs)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	e, err := distill.LoadExperiment(*configPath)
	if err != nil {
		return err
	}
	if !(*scale > 0) {
		return fmt.Errorf("--scale %v must be positive", *scale)
	}
	if *scale != 1 {
		e.Scale(*scale)
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("runs", e.Name)
	}
	lock, err := rundir.Acquire(dir) // one experiment at a time in a folder
	if err != nil {
		return err
	}
	defer lock.Release()
	o, err := distill.RunExperiment(ctx, e, distill.RunnerOptions{OutDir: dir, CacheDir: *cache, Progress: stderr})
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, distill.FormatTable(o))
	fmt.Fprintf(stdout, "\nresults: %s\n", filepath.Join(dir, "results.json"))
	fmt.Fprintf(stdout, "plot: %s\n", filepath.Join(dir, "ablation.png"))
	return nil
}
