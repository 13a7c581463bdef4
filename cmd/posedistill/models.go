package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/train"
)

// runModels prints the catalog of architectures with their parameter and GFLOP counts at an input
// size, or writes one architecture's description as JSON.
func runModels(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "fetch" {
		return runModelsFetch(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "import" {
		return runModelsImport(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "pack" {
		return runModelsPack(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "prune" {
		return runModelsPrune(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "graft" {
		return runModelsGraft(args[1:], stdout, stderr)
	}
	fs := newFlagSet("models", "models [--input 256x192] [--arch NAME --out NET.json] [--net NET.json] | models fetch blazepose|movenet [--cache DIR] [--from PATH] | models import NAME --out RUN | models pack RUN --out DIR | models prune RUN --ratio R --out RUN2 | models graft TEACHER_RUN --out DIR", stderr)
	input := fs.String("input", "256x192", "input `HxW` (height x width) for the FLOP counts")
	netFile := fs.String("net", "", "count this network description `file` (nets.Net as JSON, e.g. RUN/net.json) instead of the catalog")
	arch := fs.String("arch", "", "with --out: the architecture `name` whose description to write")
	out := fs.String("out", "", "write the --arch description (nets.Net as JSON) to this `file`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	h, w, err := parseHxW(*input)
	if err != nil {
		fmt.Fprintf(stderr, "models: --input: %v\n", err)
		return errUsage
	}
	if *netFile != "" {
		if *arch != "" || *out != "" {
			fmt.Fprintln(stderr, "models: --net goes without --arch and --out")
			return errUsage
		}
		cfg := train.Config{Model: train.ModelConfig{File: *netFile}}
		net, err := cfg.Net()
		if err != nil {
			return err
		}
		flops, err := net.FLOPs(h, w)
		if err != nil {
			return fmt.Errorf("%s at %dx%d: %w", *netFile, h, w, err)
		}
		fmt.Fprintf(stdout, "%s: %d layers, %.2fM parameters, %.3f GFLOPs (MAC) at %dx%d\n", net.Name, len(net.Layers), float64(net.Params())/1e6, float64(flops)/1e9, h, w)
		return nil
	}
	if (*arch == "") != (*out == "") {
		fmt.Fprintln(stderr, "models: --arch and --out go together")
		fs.Usage()
		return errUsage
	}
	if *arch != "" {
		net, err := nets.ByName(*arch)
		if err != nil {
			return err
		}
		data, err := json.MarshalIndent(net, "", "  ")
		if err != nil {
			return fmt.Errorf("encode %s: %w", *arch, err)
		}
		if err := atomicfile.WriteBytes(*out, append(data, '\n')); err != nil {
			return fmt.Errorf("write %s: %w", *out, err)
		}
		return nil
	}

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "architecture\trole\tparams\tGFLOPs (MAC) at %dx%d\toutput\t\n", h, w)
	accepted := 0
	for _, e := range nets.Catalog() {
		net, err := e.New()
		if err != nil {
			return fmt.Errorf("architecture %s: %w", e.Name, err)
		}
		if m := net.InputMultiple; m > 1 && (h%m != 0 || w%m != 0) {
			fmt.Fprintf(tw, "%s\t%s\t%.2fM\t—\tinput must be multiples of %d\t\n", e.Name, e.Role, float64(net.Params())/1e6, m)
			continue
		}
		flops, err := net.FLOPs(h, w)
		if err != nil {
			return fmt.Errorf("architecture %s: %w", e.Name, err)
		}
		shapes, err := net.Shapes(h, w)
		if err != nil {
			return fmt.Errorf("architecture %s: %w", e.Name, err)
		}
		accepted++
		hm := shapes[net.Heads.Heatmaps]
		fmt.Fprintf(tw, "%s\t%s\t%.2fM\t%.3f\t%dx%dx%d\t\n", e.Name, e.Role, float64(net.Params())/1e6, float64(flops)/1e9, hm.H, hm.W, hm.C)
	}
	if accepted == 0 {
		return fmt.Errorf("no architecture accepts a %dx%d input (they need multiples of 16 or 32)", h, w)
	}
	return tw.Flush()
}

// parseHxW parses "HxW" into positive height and width.
func parseHxW(s string) (h, w int, err error) {
	hs, ws, ok := strings.Cut(strings.ToLower(s), "x")
	if ok {
		h, err = strconv.Atoi(hs)
		if err == nil {
			w, err = strconv.Atoi(ws)
		}
	}
	if !ok || err != nil || h < 1 || w < 1 {
		return 0, 0, fmt.Errorf("size %q is not HxW with positive integers", s)
	}
	return h, w, nil
}

// firstArgument returns the positional argument a models subcommand starts with (import NAME,
// pack RUN, prune RUN), or prints the subcommand's usage and returns errUsage.
func firstArgument(args []string, usage string, stderr io.Writer) (string, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "Usage: posedistill "+usage)
		return "", errUsage
	}
	return args[0], nil
}
