// Command posedistill builds lightweight human pose estimators by knowledge distillation and
// runs them: synthetic data, COCO-format datasets, evaluation, smoothing, training.
//
// Usage:
//
//	posedistill <command> [flags]
//
// Run "posedistill help" for the list of commands and "posedistill <command> -h" for the flags of
// one command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/posedistill/posedistill/backend"
)

// command is one subcommand of the CLI.
type command struct {
	name    string
	summary string
	// run executes the command with its own arguments (without the command name).
	run func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands returns the subcommands in the order "help" lists them.
func commands() []command {
	return []command{
		{"synth", "render a synthetic people dataset (COCO JSON + images + contact sheet)", runSynth},
		{"smooth", "apply the 1€ filter to tracked keypoint results (or --demo: jitter/lag experiment)", runSmooth},
		{"eval", "COCO keypoint AP/AR of a results file, as pycocotools computes it, with per-keypoint errors", runEval},
		{"train", "train a pose network from an experiment config (checkpoints, resume, metrics, validation AP)", runTrain},
		{"predict", "find the people in an image and their poses with any model (run, BlazePose, MoveNet): COCO results JSON and an overlay PNG", runPredict},
		{"models", "list the network architectures with parameters and GFLOPs, write one as JSON, or fetch pretrained models (models fetch blazepose)", runModels},
		{"crops", "contact sheet of top-down training crops with their heatmap targets (check the data pipeline)", runCrops},
		{"blazepose", "run MediaPipe BlazePose (TFLite models translated to GoMLX) on a COCO dataset's images: COCO results", runBlazePose},
		{"video", "any model on a video (ffmpeg): people detected and tracked with ids, optional 1€ smoothing, COCO results, overlay video", runVideo},
		{"serve", "HTTP pose service for any model: POST an image, get COCO results; a web page that draws the skeletons; --bench load test", runServe},
		{"experiment", "distillation ablation from a config: cached teachers, variants × seeds, table (AP ± std, params, FLOPs, latency) and plot", runExperiment},
		{"distill", "distill a student from a teacher run (MoVNect/FPD blend) or two (ODKD: order, binarization, mask knowledge)", runDistill},
		{"distill-unlabeled", "distill a student from two BlazePose models on unlabeled images and video frames (pseudo labels, ODKD order, agreement AP)", runDistillUnlabeled},
		{"finetune-video", "fine-tune an imported MoveNet (Lightning) on a video's people labelled by a bigger one (Thunder), agreement AP on held-out frames before and after", runFinetuneVideo},
		{"demo", "end to end: synthetic data, teachers, distilled students, evaluation, HTML report (--quick: smoke run)", runDemo},
		{"export", "write a trained run as ONNX (folded batch norm, optional int8 weights) and safetensors; check it in ONNX Runtime", runExport},
		{"compress", "compress a trained run (quantization, channel pruning, low rank, sparsity): size, FLOPs, latency, AP table and Pareto plot", runCompress},
	}
}

func main() {
	// Guard the go backend's SIMD loads against reading past the heap's mapped end (see package
	// backend); it must run before the heap grows.
	backend.ReserveHeapHeadroom()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and turns its error into one line on stderr and an exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(stderr, "posedistill %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "posedistill: unknown command %q (run 'posedistill help')\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "posedistill builds lightweight human pose estimators by knowledge distillation.")
	fmt.Fprintln(w, "\nUsage: posedistill <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-17s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'posedistill <command> -h' for the flags of a command.")
}

// errUsage marks a command-line mistake whose message the flag package has already printed.
var errUsage = errors.New("usage error")

// newFlagSet returns a FlagSet for a subcommand that prints its usage to stderr and returns
// errors instead of exiting.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: posedistill %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs, mapping flag errors to errUsage (the message is already
// printed) and -h to flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	return nil
}
