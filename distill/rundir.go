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
// directory, the initial weights and the whole recipe (teachers, weights, schedule).
func TrainOnce(ctx context.Context, opts RunOptions) (Result, error) {
	net := opts.Net
	if net == nil {
		var err error
		if net, err = opts.Recipe.Net(opts.Config); err != nil {
			return Result{}, fmt.Errorf("run %s: %w", opts.OutDir, err)
		}
	}
	key, err := HashOf(opts.Config, net, opts.DataDir, opts.Recipe, opts.Init)
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
