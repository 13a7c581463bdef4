package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/train"
)

// packedFiles are the files of a run that "models pack" copies beside the weights: what
// describes the model (configuration, network, recipe) and how it was trained (metrics, curves,
// summary). The checkpoint itself is written as half-precision weights.
var packedFiles = []string{train.ConfigFile, train.NetFile, distill.RecipeFile, train.MetricsFile, train.CurvesFile, distill.SummaryFile}

// runModelsPack implements "posedistill models pack RUN --out DIR": a trained run as a shareable
// model folder (the repository's zoo): its description files and its best weights in half
// precision (train.SaveHalfWeights), loadable as a run directory by every command.
func runModelsPack(args []string, stdout, stderr io.Writer) error {
	usage := "models pack RUN --out DIR"
	run, err := firstArgument(args, usage, stderr)
	if err != nil {
		return err
	}
	flags := newFlagSet("models pack", usage, stderr)
	out := flags.String("out", "", "model `folder` to write (replaced if it holds a packed model)")
	if err := parseFlags(flags, args[1:]); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(stderr, "posedistill models pack: --out is required")
		flags.Usage()
		return errUsage
	}
	src := train.RunCheckpoint(run)
	before, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("models pack: %s holds no checkpoint: %w", run, err)
	}
	owned := append([]string{train.BestFile}, packedFiles...)
	err = atomicfile.ReplaceDir(*out, owned, func(tmp string) error {
		for _, name := range packedFiles {
			b, err := os.ReadFile(filepath.Join(run, name))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
				return err
			}
		}
		return train.SaveHalfWeights(src, filepath.Join(tmp, train.BestFile))
	})
	if err != nil {
		return fmt.Errorf("models pack %s: %w", run, err)
	}
	after, err := os.Stat(filepath.Join(*out, train.BestFile))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s -> %s: weights %.1f MB -> %.1f MB (half precision, no optimizer state)\n",
		src, *out, float64(before.Size())/1e6, float64(after.Size())/1e6)
	return nil
}
