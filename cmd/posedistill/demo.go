package main

import (
	"context"
	"fmt"
	"io"

	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/rundir"
)

// runDemo renders a synthetic dataset, trains (or reuses) the teachers, distills and evaluates
// the students and writes an HTML report, whose path it prints.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "demo [--quick] [--out DIR] [--cache DIR]", stderr)
	quick := fs.Bool("quick", false, "smoke run (tiny dataset, a few dozen steps per model; a few minutes)")
	out := fs.String("out", "", "output directory (default: posedistill-demo, or posedistill-demo-quick)")
	cache := fs.String("cache", "", "cache of datasets and teachers (default: $POSEDISTILL_CACHE, then the user cache directory)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = "posedistill-demo"
		if *quick {
			dir += "-quick"
		}
	}
	lock, err := rundir.Acquire(dir) // one demo at a time in a folder
	if err != nil {
		return err
	}
	defer lock.Release()
	path, err := distill.RunDemo(ctx, distill.DemoOptions{OutDir: dir, CacheDir: *cache, Quick: *quick, Progress: stderr})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, path)
	return nil
}
