package main

import (
	"context"
	"fmt"
	"io"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/train"
)

// runDistill trains a student from one teacher (MoVNect/FPD) or two (ODKD).
func runDistill(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if isUnlabeledDistill(args) {
		return runDistillUnlabeled(ctx, args, stdout, stderr)
	}
	fs := newFlagSet("distill", "distill --config STUDENT.yaml --data DIR --out RUN --teacher RUN [--senior RUN] [--order ordered|unordered|reversed] [--alpha A] [--binarize T] [--mask] [--resume | --overwrite] [--init CKPT]", stderr)
	configPath := fs.String("config", "", "student experiment config (train config YAML)")
	data := fs.String("data", "", "dataset directory (posedistill synth --out DIR)")
	out := fs.String("out", "", "student run directory")
	teacher := fs.String("teacher", "", "run directory of the (primary) teacher")
	senior := fs.String("senior", "", "run directory of the senior teacher (ODKD); its mask head, if any, teaches segmentation")
	order := fs.String("order", "ordered", "with two teachers: ordered (primary then senior), unordered (both at once) or reversed")
	primarySteps := fs.Int("primary-steps", 0, "ordered: the step the senior teacher takes over (0: half the run); reversed: the step the primary takes over")
	alpha := fs.Float64("alpha", 0.5, "GT share α of the heatmap loss α‖H−H_GT‖² + (1−α)‖H−H_T‖²")
	alphaEnd := fs.Float64("alpha-end", -1, "when ≥ 0, α goes linearly from --alpha to this over the run")
	binarize := fs.Float64("binarize", 0, "binarize teacher heatmaps at this fraction of each channel's peak (0: off; ODKD uses 0.5)")
	mask := fs.Bool("mask", false, "learn the senior teacher's mask with a light mask head and restrict heatmaps to it")
	maskWeight := fs.Float64("mask-weight", 0.1, "weight of the mask BCE term")
	restrictWeight := fs.Float64("restrict-weight", 1, "weight of the mask restriction term")
	overrides := addConfigFlags(fs, "steps", "seed")
	resume := fs.Bool("resume", false, "continue the run in --out from its checkpoint (give the same flags and teachers as the interrupted run)")
	overwrite := fs.Bool("overwrite", false, "start a new run in --out even if it holds one (its files are removed)")
	initFrom := fs.String("init", "", "initialise the student's weights from this checkpoint (fine-tuning; same layers and shapes)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *configPath == "" || *data == "" || *out == "" || *teacher == "" {
		fmt.Fprintln(fs.Output(), "posedistill distill: --config, --data, --out and --teacher are required")
		fs.Usage()
		return errUsage
	}
	cfg, err := train.LoadConfig(*configPath)
	if err != nil {
		return err
	}
	if err := overrides.apply(&cfg); err != nil {
		return err
	}
	a := train.Constant(*alpha)
	if *alphaEnd >= 0 {
		a = train.Linear(*alpha, *alphaEnd, cfg.Steps)
	}
	net, err := cfg.Net()
	if err != nil {
		return err
	}
	be, err := backend.New(cfg.Backend)
	if err != nil {
		return err
	}
	defer be.Finalize()
	var bin *distill.Binarization
	suffix := distill.SuffixHeatmaps
	if *binarize > 0 {
		b := distill.Binarization{Threshold: *binarize, Floor: distill.DefaultBinarization().Floor}
		if err := b.Validate(); err != nil {
			return err
		}
		bin, suffix = &b, distill.SuffixBinary
	}
	pt, err := distill.LoadTeacher(*teacher, be)
	if err != nil {
		return err
	}
	defer pt.Close()
	teachers := []distill.Attached{{Name: distill.PrimaryName, Teacher: pt, Binarize: bin}}
	var terms []train.Term
	if *senior == "" {
		if *mask {
			return fmt.Errorf("--mask needs a --senior teacher with a mask head")
		}
		terms = distill.HeatmapTerms("heatmap_primary", distill.PrimaryName+suffix, a)
	} else {
		st, err := distill.LoadTeacher(*senior, be)
		if err != nil {
			return err
		}
		defer st.Close()
		if *mask && st.Net.Heads.Mask == "" {
			return fmt.Errorf("--mask: the senior teacher %s has no mask head", *senior)
		}
		teachers = append(teachers, distill.Attached{Name: distill.SeniorName, Teacher: st, Binarize: bin})
		ps := *primarySteps
		if ps == 0 {
			ps = cfg.Steps / 2
		}
		stages := distill.Stages{Order: distill.Order(*order), PrimarySteps: ps}
		if stages.Order == distill.Reversed {
			stages = distill.Stages{Order: distill.Reversed, SeniorSteps: ps}
		}
		if err := stages.Validate(); err != nil {
			return err
		}
		share := train.Schedule(func(step int) float64 { return 1 - a(step) })
		if stages.Order == distill.Unordered {
			share = func(step int) float64 { return (1 - a(step)) / 2 }
		}
		terms = []train.Term{
			train.HeatmapMSE("heatmap_gt", a),
			train.TeacherHeatmapMSE("heatmap_primary", distill.PrimaryName+suffix, distill.Gated(share, stages.Primary())),
			train.TeacherHeatmapMSE("heatmap_senior", distill.SeniorName+suffix, distill.Gated(share, stages.Senior())),
		}
		if *mask {
			if net, err = distill.WithMaskHead(net); err != nil {
				return err
			}
			terms = append(terms,
				distill.MaskBCE("mask_senior", distill.SeniorName+distill.SuffixMask, distill.Gated(train.Constant(*maskWeight), stages.Senior())),
				distill.MaskRestriction("mask_restrict", distill.SeniorName+distill.SuffixMaskDilated, distill.Gated(train.Constant(*restrictWeight), stages.Senior())))
		}
	}
	if *resume && *initFrom != "" {
		return fmt.Errorf("--init starts a run; --resume continues one: give one of them")
	}
	res, err := distill.Train(ctx, distill.RunOptions{Config: cfg, Net: net, DataDir: *data, OutDir: *out, Terms: terms, Teachers: teachers,
		Resume: *resume, Overwrite: *overwrite, Init: *initFrom, Backend: be, Progress: stderr})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d steps, loss %.4g, val AP %.3f AP50 %.3f AP75 %.3f (%s)\n", cfg.Name, res.Steps, res.Loss, res.Val.AP, res.Val.AP50, res.Val.AP75, *out)
	return nil
}
