package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/imported"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/train"
)

// runModelsImport implements "posedistill models import NAME --out RUN": it imports a pretrained
// model from the cache as a trainable network (package imported) and saves it as a run directory
// that train (--config RUN/config.json --init RUN/checkpoint.ckpt), distill --init, export,
// compress, eval and models --net take.
func runModelsImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := "models import " + strings.Join(imported.Names(), "|") + " --out RUN [--codec msra|movenet] [--cache DIR]"
	name, err := firstArgument(args, usage, stderr)
	if err != nil {
		return err
	}
	flags := newFlagSet("models import", usage, stderr)
	defCache, err := modelstore.DefaultCacheDir()
	if err != nil {
		return err
	}
	cache := flags.String("cache", defCache, "model cache `directory` (posedistill models fetch)")
	out := flags.String("out", "", "run `directory` to write (must not hold a run)")
	codecKind := flags.String("codec", "msra", "the run's `codec`: msra (heatmaps), or movenet (MoveNet only: with its offset and regression heads, decoded and trained as MoveNet's)")
	if err := parseFlags(flags, args[1:]); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(stderr, "posedistill models import: --out is required")
		flags.Usage()
		return errUsage
	}
	be, err := backend.New("go")
	if err != nil {
		return err
	}
	m, err := imported.ImportWith(ctx, be, *cache, name, imported.ImportOptions{Codec: *codecKind})
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (run 'posedistill models fetch' first)", err)
	}
	if err != nil {
		return err
	}
	if err := m.WriteRun(*out); err != nil {
		return err
	}
	fl, err := m.Net.FLOPs(m.InputSize, m.InputSize)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d layers, %.2fM parameters, %.3f GFLOPs at %dx%d, %d heatmap channels, codec %s -> %s\n",
		name, len(m.Net.Layers), float64(m.Net.Params())/1e6, float64(fl)/1e9, m.InputSize, m.InputSize, m.Net.Joints, m.Codec, *out)
	fmt.Fprintf(stdout, "fine-tune: posedistill train --config %s --init %s --data DIR --out RUN2\n",
		filepath.Join(*out, train.ConfigFile), filepath.Join(*out, train.CheckpointFile))
	return nil
}
