package main

import (
	"flag"
	"fmt"
	"math"

	"github.com/posedistill/posedistill/train"
)

// configFlags are the flags that override a train config's values. Only flags given on the
// command line apply, and each is checked: "--steps -5" or "--lr NaN" is refused, not ignored.
type configFlags struct {
	fs                                   *flag.FlagSet
	steps, batch, workers, valEv, ckptEv *int
	lr                                   *float64
	seed                                 *uint64
	backend                              *string
}

// addConfigFlags registers the override flags named in which (steps, batch, lr, seed, workers,
// validate-every, checkpoint-every, backend) on fs.
func addConfigFlags(fs *flag.FlagSet, which ...string) *configFlags {
	c := &configFlags{fs: fs}
	for _, name := range which {
		switch name {
		case "steps":
			c.steps = fs.Int(name, 0, "override the config's steps")
		case "batch":
			c.batch = fs.Int(name, 0, "override the config's batch_size")
		case "lr":
			c.lr = fs.Float64(name, 0, "override the config's lr")
		case "seed":
			c.seed = fs.Uint64(name, 0, "override the config's seed")
		case "workers":
			c.workers = fs.Int(name, 0, "override the config's data-loading workers")
		case "validate-every":
			c.valEv = fs.Int(name, 0, "override the config's validate_every")
		case "checkpoint-every":
			c.ckptEv = fs.Int(name, 0, "override the config's checkpoint_every")
		case "backend":
			c.backend = fs.String(name, "", "override the config's GoMLX backend (go, onnx:cpu)")
		default:
			panic("addConfigFlags: unknown flag " + name)
		}
	}
	return c
}

// apply sets the given flags' values in cfg and validates the result; the error names the flag.
func (c *configFlags) apply(cfg *train.Config) error {
	var err error
	c.fs.Visit(func(f *flag.Flag) {
		if err != nil {
			return
		}
		bad := func(want string) { err = fmt.Errorf("--%s %s: want %s", f.Name, f.Value, want) }
		switch f.Name {
		case "steps":
			if cfg.Steps = *c.steps; *c.steps < 1 {
				bad("a number of steps ≥ 1")
			}
		case "batch":
			if cfg.BatchSize = *c.batch; *c.batch < 1 {
				bad("a batch size ≥ 1")
			}
		case "lr":
			if cfg.LR = *c.lr; !(*c.lr > 0) || math.IsInf(*c.lr, 0) {
				bad("a finite learning rate > 0")
			}
		case "seed":
			cfg.Seed = *c.seed
		case "workers":
			if cfg.Workers = *c.workers; *c.workers < 0 {
				bad("a number of workers ≥ 0 (0 means 1)")
			}
		case "validate-every":
			if cfg.ValidateEvery = *c.valEv; *c.valEv < 0 {
				bad("an interval ≥ 0 (0: only at the end)")
			}
		case "checkpoint-every":
			if cfg.CheckpointEvery = *c.ckptEv; *c.ckptEv < 0 {
				bad("an interval ≥ 0 (0: only at the end)")
			}
		case "backend":
			cfg.Backend = *c.backend
		}
	})
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("flags: %w", err)
	}
	return nil
}
