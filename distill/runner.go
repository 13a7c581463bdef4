package distill

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/compute"
	"github.com/posedistill/posedistill/synth"
	"github.com/posedistill/posedistill/train"
)

// CacheVersion enters every cache key; bump it when training or data code changes what a cached
// teacher or dataset would contain.
const CacheVersion = "distill-v1"

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

// CacheDir returns dir, or $POSEDISTILL_CACHE, or the user cache directory's posedistill/.
func CacheDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if d := os.Getenv("POSEDISTILL_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache directory: %w (set POSEDISTILL_CACHE)", err)
	}
	return filepath.Join(d, "posedistill"), nil
}

// hashOf is the hex SHA-256 of the JSON of the values and CacheVersion, shortened to 16 digits.
func hashOf(vs ...any) (string, error) {
	h := sha256.New()
	h.Write([]byte(CacheVersion))
	for _, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// EnsureData renders the experiment's dataset into the cache unless it is there, and returns its
// directory.
func EnsureData(ctx context.Context, d DataConfig, cache string, progress io.Writer) (string, error) {
	key, err := hashOf(d)
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

// TeacherSpec is a teacher to train (or reuse from the cache).
type TeacherSpec struct {
	Name   string
	Config train.Config
	Recipe Recipe
	// Data identifies the training data (e.g. the configuration it was rendered from); it
	// enters the cache key.
	Data any
}

// EnsureTeacher trains spec on dataDir into the cache unless a finished run with the same
// configuration, recipe (hence network) and data is there, and returns the run directory and
// its result. An interrupted training of the same teacher (a checkpoint without summary.json)
// is resumed.
func EnsureTeacher(ctx context.Context, spec TeacherSpec, dataDir, cache string, be compute.Backend, progress io.Writer) (string, Result, error) {
	dir, err := TeacherDir(spec, cache)
	if err != nil {
		return "", Result{}, err
	}
	if r, err := ReadResult(dir); err == nil {
		return dir, r, nil
	}
	_, noCheckpoint := os.Stat(filepath.Join(dir, train.CheckpointFile))
	r, err := Train(ctx, RunOptions{Config: spec.Config, Recipe: spec.Recipe, DataDir: dataDir, OutDir: dir,
		Resume: noCheckpoint == nil, Backend: be, Progress: progress})
	return dir, r, err
}

// TeacherDir is the cache directory of a teacher: its name and the hash of its configuration,
// network, data and whole recipe (so that changing any weight of the recipe trains anew).
func TeacherDir(spec TeacherSpec, cache string) (string, error) {
	net, err := spec.Recipe.Net(spec.Config)
	if err != nil {
		return "", err
	}
	key, err := hashOf(spec.Config, net, spec.Data, spec.Recipe)
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "teachers", spec.Name+"-"+key), nil
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
