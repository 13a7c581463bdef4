package experiment

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/compute"

	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/synth"
)

// RunnerOptions configure RunExperiment.
type RunnerOptions struct {
	// OutDir receives the runs, results.json, table.md and ablation.png.
	OutDir string
	// CacheDir holds datasets and teachers by configuration hash ("" : $POSEDISTILL_CACHE, then
	// the user cache directory's posedistill/).
	CacheDir string
	// Backend runs every graph (nil: the configured one).
	Backend compute.Backend
	// Progress receives the stage lines and the runs' progress bars (nil: none).
	Progress io.Writer
	// NoTeacherCache computes teacher outputs on every step instead of reading them back from
	// CacheDir/teacher_outputs (see DiskCached) when a variant with the same seed made them.
	NoTeacherCache bool
}

// EnsureData renders the experiment's dataset into the cache unless it is there, and returns its
// directory.
func EnsureData(ctx context.Context, d DataConfig, cache string, progress io.Writer) (string, error) {
	key, err := distill.HashOf(d)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "data", key)
	if _, err := os.Stat(filepath.Join(dir, "val.json")); err == nil {
		return dir, nil
	}
	r, err := synth.NewRenderer(synth.Options{Width: d.Width, Height: d.Height, MinPeople: d.MinPeople, MaxPeople: d.MaxPeople, HeavyOcclusion: d.HeavyOcclusion, LightOcclusion: d.LightOcclusion, MinHeight: d.MinHeight, MaxHeight: d.MaxHeight})
	if err != nil {
		return "", err
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return "", err
	}
	if _, err := synth.WriteDataset(ctx, r, synth.WriteOptions{
		Dir: tmp, Seed: d.Seed, Images: d.Images, ValFraction: d.ValFraction, Format: "png", Workers: 2, SheetImages: 16, Progress: progress,
	}); err != nil {
		return "", fmt.Errorf("render dataset %s: %w", dir, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("dataset %s: %w", dir, err)
	}
	return dir, nil
}

// stageClock prints which stage an experiment is in and an estimate of the time left, from the
// training steps done and to do.
type stageClock struct {
	w          io.Writer
	start      time.Time
	total      int
	done       int
	stage, all int
}

// begin announces a stage of the given number of training steps.
func (c *stageClock) begin(name string, steps int) {
	c.stage++
	if c.w == nil {
		return
	}
	left := "unknown"
	if c.done > 0 {
		per := time.Since(c.start) / time.Duration(c.done)
		left = (per * time.Duration(c.total-c.done)).Round(time.Second).String()
	}
	fmt.Fprintf(c.w, "[stage %d/%d] %s (%d steps) — elapsed %s, about %s left\n", c.stage, c.all, name, steps, time.Since(c.start).Round(time.Second), left)
}

// end records a finished stage's steps.
func (c *stageClock) end(steps int) { c.done += steps }
