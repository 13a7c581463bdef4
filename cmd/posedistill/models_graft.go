package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/graft"
	"github.com/posedistill/posedistill/graft/hints"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/train"
)

// graftInitFile is the checkpoint "models graft" writes: the grafted trunk's weights only, for
// train's and distill's --init (the student's own layers start from the trainer's initialisation).
const graftInitFile = "init.ckpt"

// runModelsGraft implements "posedistill models graft TEACHER --width W --out DIR": a MoVNect
// student whose MobileNetV2 trunk is cut from a MobileNetV2-based teacher run (an imported or
// fine-tuned MoveNet), written as a network description, a config and an --init checkpoint.
func runModelsGraft(args []string, stdout, stderr io.Writer) error {
	usage := "models graft TEACHER_RUN --out DIR [--width 0.5] [--head-channels 64] [--skips=true] [--locations]"
	run, err := firstArgument(args, usage, stderr)
	if err != nil {
		return err
	}
	flags := newFlagSet("models graft", usage, stderr)
	width := flags.Float64("width", 0.5, "the student MoVNect's width multiplier (at most the teacher's trunk width)")
	headCh := flags.Int("head-channels", 64, "the student MoVNect's head width")
	locations := flags.Bool("locations", false, "give the student MoVNect's X/Y/Z location-map head")
	skips := flags.Bool("skips", true, "give the student MoVNect's head lateral connections from the trunk's stride-8 and stride-4 stages")
	out := flags.String("out", "", "`directory` to write net.json, config.json and "+graftInitFile+" to (must not hold a run)")
	if err := parseFlags(flags, args[1:]); err != nil {
		return err
	}
	switch {
	case *out == "":
		return fmt.Errorf("models graft: --out is required")
	case !(*width > 0):
		return fmt.Errorf("models graft: --width %v: want a positive multiplier", *width)
	case *headCh < 2:
		return fmt.Errorf("models graft: --head-channels %d: want at least 2", *headCh)
	}
	if _, err := os.Stat(filepath.Join(*out, train.ConfigFile)); err == nil {
		return fmt.Errorf("models graft: %s already holds a run (%s)", *out, train.ConfigFile)
	}
	tr, err := train.LoadTrained(run)
	if err != nil {
		return fmt.Errorf("models graft: %w", err)
	}
	g, err := graft.MoVNect(tr.Net, tr.Store, nets.MoVNectOptions{Width: *width, HeadChannels: *headCh, Locations: *locations, Skips: *skips})
	if err != nil {
		return fmt.Errorf("models graft %s: %w", run, err)
	}
	netPath, err := filepath.Abs(filepath.Join(*out, train.NetFile))
	if err != nil {
		return err
	}
	cfg := tr.Config
	cfg.Name = fmt.Sprintf("%s-grafted-from-%s", g.Net.Name, filepath.Base(filepath.Clean(run)))
	cfg.Model = train.ModelConfig{File: netPath}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("models graft: %w", err)
	}
	initPath := filepath.Join(*out, graftInitFile)
	if err := train.SaveCheckpoint(initPath, g.Store, train.CheckpointInfo{Net: g.Net}); err != nil {
		return fmt.Errorf("models graft: %w", err)
	}
	if err := atomicfile.WriteJSON(netPath, g.Net); err != nil {
		return fmt.Errorf("models graft: %w", err)
	}
	if err := atomicfile.WriteJSON(filepath.Join(*out, train.ConfigFile), cfg); err != nil {
		return fmt.Errorf("models graft: %w", err)
	}
	teacherDir, err := filepath.Abs(run)
	if err != nil {
		return err
	}
	if err := hints.Write(filepath.Join(*out, hints.File), hints.Set{Teacher: teacherDir, Hints: g.Hints}); err != nil {
		return fmt.Errorf("models graft: %w", err)
	}
	flops, err := g.Net.FLOPs(cfg.InputH, cfg.InputW)
	if err != nil {
		return fmt.Errorf("models graft: %w", err)
	}
	fmt.Fprintf(stdout, "%s: %d of %d layers from %s (%.3fM parameters, %.1f MFLOPs at %dx%d) -> %s\n",
		g.Net.Name, len(g.From), len(g.Net.Layers), run, float64(g.Net.Params())/1e6, float64(flops)/1e6, cfg.InputW, cfg.InputH, *out)
	fmt.Fprintf(stdout, "train it: posedistill distill --config %s --init %s --teacher %s --hints %s --data DIR --out RUN\n",
		filepath.Join(*out, train.ConfigFile), initPath, run, filepath.Join(*out, hints.File))
	return nil
}
