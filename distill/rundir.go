package distill

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/rundir"
	"github.com/posedistill/posedistill/train"
)

// RunKeyFile holds, in a run directory of an experiment, the hash of everything that determines
// the run (see TrainOnce).
const RunKeyFile = "run_key.txt"

// TrainOnce is Train for a run directory an experiment may meet again after an interruption: when
// opts.OutDir holds the finished run of the same key it returns that run's result without
// training; when it holds an interrupted run of the same key it resumes it; otherwise it empties
// the directory and trains from scratch. The key hashes the configuration, the network, the data
// directory, the loss term names, the GT targets, the teachers' names and binarization, and
// recipe: what the terms' weight schedules and the teachers' weights depend on (e.g. α and the
// teachers' run directories), which the caller must give since functions cannot be hashed.
func TrainOnce(ctx context.Context, opts RunOptions, recipe ...any) (Result, error) {
	terms := make([]string, len(opts.Terms))
	for i, t := range opts.Terms {
		terms[i] = t.Name
	}
	type attached struct {
		Name     string
		Binarize *Binarization
	}
	teachers := make([]attached, len(opts.Teachers))
	for i, a := range opts.Teachers {
		teachers[i] = attached{a.Name, a.Binarize}
	}
	key, err := hashOf(opts.Config, opts.Net, opts.DataDir, terms, opts.Masks, opts.Locations, teachers, opts.Init, recipe)
	if err != nil {
		return Result{}, fmt.Errorf("run %s: key: %w", opts.OutDir, err)
	}
	// The folder stays locked from the key's check to the summary (train.Run re-enters the lock).
	lock, err := rundir.Acquire(opts.OutDir)
	if err != nil {
		return Result{}, fmt.Errorf("run: %w", err)
	}
	defer lock.Release()
	keyPath := filepath.Join(opts.OutDir, RunKeyFile)
	old, err := os.ReadFile(keyPath)
	if err == nil && strings.TrimSpace(string(old)) == key {
		if r, err := ReadResult(opts.OutDir); err == nil {
			return r, nil
		}
		_, noCheckpoint := os.Stat(filepath.Join(opts.OutDir, train.CheckpointFile))
		opts.Resume = noCheckpoint == nil
		opts.Overwrite = !opts.Resume // stopped before its first checkpoint: start it again
		return Train(ctx, opts)
	}
	// Another run's directory, an older one without a key, or none: start afresh.
	if err := rundir.Clear(opts.OutDir); err != nil {
		return Result{}, fmt.Errorf("run %s: %w", opts.OutDir, err)
	}
	if err := atomicfile.WriteBytes(keyPath, []byte(key+"\n")); err != nil {
		return Result{}, err
	}
	opts.Resume = false
	return Train(ctx, opts)
}
