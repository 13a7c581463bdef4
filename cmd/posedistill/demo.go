package main

import (
	"context"
	"fmt"
	"io"

	"github.com/posedistill/posedistill/experiment"
	"github.com/posedistill/posedistill/rundir"
)

// runDemo renders a synthetic dataset, evaluates the zoo's teachers on it, distills and
// evaluates the students and writes an HTML report, whose path it prints.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "demo [--quick] [--out DIR] [--cache DIR] [--zoo DIR]", stderr)
	quick := fs.Bool("quick", false, "smoke run (tiny dataset, a few dozen steps per model; a few minutes)")
	out := fs.String("out", "", "output directory (default: posedistill-demo, or posedistill-demo-quick)")
	zoo := fs.String("zoo", experiment.DefaultZoo, "folder of the pretrained models the demo starts from (the repository's zoo)")
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
	path, err := experiment.RunDemo(ctx, experiment.DemoOptions{OutDir: dir, CacheDir: *cache, ZooDir: *zoo, Quick: *quick, Progress: stderr})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, path)
	return nil
}
