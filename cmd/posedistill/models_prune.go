package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/compress"
	"github.com/posedistill/posedistill/graft/hints"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/train"
)

// runModelsPrune implements "posedistill models prune RUN --ratio R --out RUN2": structured
// channel pruning of a trained or imported run (compress.PlanChannels) saved as a new run
// directory whose network is the thinner one, so that it trains, distils (distill --config
// RUN2/config.json --init RUN2/best.ckpt) and evaluates like any run: a student cut from a
// teacher.
func runModelsPrune(args []string, stdout, stderr io.Writer) error {
	usage := "models prune RUN --ratio R --out RUN2 [--criterion l1|bn_scale] [--multiple 8] [--min-channels 8]"
	run, err := firstArgument(args, usage, stderr)
	if err != nil {
		return err
	}
	flags := newFlagSet("models prune", usage, stderr)
	ratio := flags.Float64("ratio", 0.5, "fraction of the prunable channels to remove, in (0, 1)")
	criterion := flags.String("criterion", "l1", "channel ranking: l1 (filter norm, any network) or bn_scale (|γ| of batch norm; layers without it are kept)")
	multiple := flags.Int("multiple", 8, "every pruned layer keeps a multiple of this many channels (1: any number)")
	minChannels := flags.Int("min-channels", 8, "the fewest output channels a layer keeps")
	out := flags.String("out", "", "run `directory` to write (must not hold a run)")
	if err := parseFlags(flags, args[1:]); err != nil {
		return err
	}
	var crit compress.Criterion
	switch *criterion {
	case "l1":
		crit = compress.L1Norm
	case "bn_scale":
		crit = compress.BNScale
	default:
		return fmt.Errorf("models prune: --criterion %q: want l1 or bn_scale", *criterion)
	}
	switch {
	case *out == "":
		return fmt.Errorf("models prune: --out is required")
	case !(*ratio > 0 && *ratio < 1):
		return fmt.Errorf("models prune: --ratio %v: want a fraction in (0, 1)", *ratio)
	case *multiple < 1 || *minChannels < 1:
		return fmt.Errorf("models prune: --multiple %d and --min-channels %d must be ≥ 1", *multiple, *minChannels)
	}
	if _, err := os.Stat(filepath.Join(*out, train.ConfigFile)); err == nil {
		return fmt.Errorf("models prune: %s already holds a run (%s)", *out, train.ConfigFile)
	}
	tr, err := train.LoadTrained(run)
	if err != nil {
		return fmt.Errorf("models prune: %w", err)
	}
	plan, err := compress.PlanChannels(tr.Net, tr.Store, compress.ChannelOptions{Criterion: crit, Ratio: *ratio, MinChannels: *minChannels, Multiple: *multiple})
	if err != nil {
		return fmt.Errorf("models prune %s: %w", run, err)
	}
	net, store, err := plan.Prune(tr.Store, "")
	if err != nil {
		return fmt.Errorf("models prune %s: %w", run, err)
	}
	netPath, err := filepath.Abs(filepath.Join(*out, train.NetFile))
	if err != nil {
		return err
	}
	cfg := tr.Config
	cfg.Name = tr.Config.Name + fmt.Sprintf("-pruned%g", *ratio)
	cfg.Model = train.ModelConfig{File: netPath}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("models prune: %w", err)
	}
	if err := train.SaveCheckpoint(filepath.Join(*out, train.BestFile), store, train.CheckpointInfo{Net: net}); err != nil {
		return fmt.Errorf("models prune: %w", err)
	}
	if err := atomicfile.WriteJSON(netPath, net); err != nil {
		return fmt.Errorf("models prune: %w", err)
	}
	if err := atomicfile.WriteJSON(filepath.Join(*out, train.ConfigFile), cfg); err != nil {
		return fmt.Errorf("models prune: %w", err)
	}
	// Hints for feature distillation from the unpruned network: every residual add (the trunk's
	// and a feature pyramid's) keeps a subset of the original's channels.
	var hs []hints.Hint
	for _, l := range net.Layers {
		if l.Op == nets.OpAdd {
			hs = append(hs, hints.Hint{Student: l.Name, Teacher: l.Name, Channels: plan.Kept(l.Name)})
		}
	}
	if len(hs) > 0 {
		teacherDir, err := filepath.Abs(run)
		if err != nil {
			return err
		}
		if err := hints.Write(filepath.Join(*out, hints.File), hints.Set{Teacher: teacherDir, Hints: hs}); err != nil {
			return fmt.Errorf("models prune: %w", err)
		}
	}
	f0, err0 := tr.Net.FLOPs(cfg.InputH, cfg.InputW)
	f1, err1 := net.FLOPs(cfg.InputH, cfg.InputW)
	if err0 != nil || err1 != nil {
		return fmt.Errorf("models prune: FLOPs: %v %v", err0, err1)
	}
	fmt.Fprintf(stdout, "%s: %d channels removed; %.2fM -> %.2fM parameters, %.1f -> %.1f MFLOPs at %dx%d -> %s\n",
		run, plan.Count(), float64(tr.Net.Params())/1e6, float64(net.Params())/1e6, float64(f0)/1e6, float64(f1)/1e6, cfg.InputW, cfg.InputH, *out)
	fmt.Fprintf(stdout, "train it: posedistill distill --config %s --init %s --teacher %s --hints %s --data DIR --out RUN3\n",
		filepath.Join(*out, train.ConfigFile), filepath.Join(*out, train.BestFile), run, filepath.Join(*out, hints.File))
	return nil
}
