package main

import (
	"context"
	"fmt"
	"io"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/imported"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/movenet"
)

// runFinetuneVideo implements "posedistill finetune-video": an imported MoveNet fine-tuned on the
// people of a video's leading frames, labelled by a bigger MoveNet, evaluated on the trailing
// frames (imported.FineTuneOnVideo).
func runFinetuneVideo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("finetune-video", "finetune-video --out DIR [--video FILE] [--frames 40 --stride 20 --holdout 0.25] [--student movenet-lightning --teacher movenet-thunder] [--steps 150 --batch 8 --lr 5e-5 --no-augment]", stderr)
	defCache, err := modelstore.DefaultCacheDir()
	if err != nil {
		return err
	}
	vid := fs.String("video", "/usr/share/doc/opencv-doc/examples/data/vtest.avi", "video `file` (ffmpeg)")
	out := fs.String("out", "", "output `directory`: data/, imported/, tuned/, "+imported.ResultFile)
	frames := fs.Int("frames", 40, "sampled frames used (every --stride-th)")
	stride := fs.Int("stride", 20, "use every S-th frame")
	holdout := fs.Float64("holdout", 0.25, "trailing fraction of the sampled frames held out for the agreement AP")
	boxes := fs.String("boxes", "blazepose-full", "BlazePose model whose people give the boxes (blazepose-lite, -full, -heavy)")
	tile := fs.Int("detect-tile", 300, "scan frames for people in square tiles of `side` pixels (0: whole frame)")
	student := fs.String("student", string(movenet.Lightning), "MoveNet model imported and fine-tuned")
	teacher := fs.String("teacher", string(movenet.Thunder), "MoveNet model whose keypoints are the targets and the ground truth")
	codecKind := fs.String("codec", "msra", "the student's `codec`: msra (heatmaps), or movenet (its offset and regression heads too, trained and decoded as MoveNet's)")
	steps := fs.Int("steps", 150, "fine-tuning steps")
	batch := fs.Int("batch", 8, "batch size")
	lr := fs.Float64("lr", 5e-5, "Adam learning rate (constant after a warmup over a tenth of the steps)")
	seed := fs.Uint64("seed", 1, "seed")
	noAugment := fs.Bool("no-augment", false, "train on the plain crops of the boxes, without the training pipeline's augmentation")
	cache := fs.String("cache", defCache, "model cache `directory`")
	timeOnly := fs.Bool("time", false, "only time the student before and after (--out holds a finished run), alternating, and update "+imported.ResultFile)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(stderr, "posedistill finetune-video: --out is required")
		fs.Usage()
		return errUsage
	}
	if *timeOnly {
		be, err := backend.New("go")
		if err != nil {
			return err
		}
		before, after, err := imported.RetimeVideoResult(be, *out)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "student batch-1 median wall time, alternating: %.1f ms as imported, %.1f ms fine-tuned\n", before, after)
		return nil
	}
	for _, m := range []string{*student, *teacher} {
		if mm := movenet.Model(m); mm != movenet.Lightning && mm != movenet.Thunder {
			return fmt.Errorf("finetune-video: %q: want movenet-lightning or movenet-thunder", m)
		}
	}
	if !modelstore.IsBlazePose(*boxes) {
		return fmt.Errorf("finetune-video: --boxes %q: want blazepose-lite, blazepose-full or blazepose-heavy", *boxes)
	}
	be, err := backend.New("go")
	if err != nil {
		return err
	}
	res, err := imported.FineTuneOnVideo(ctx, imported.VideoOptions{Video: *vid, Frames: *frames, Stride: *stride, Holdout: *holdout,
		Boxes: *boxes, DetectTile: *tile, Student: movenet.Model(*student), Teacher: movenet.Model(*teacher), Cache: *cache, OutDir: *out,
		Codec: *codecKind, Steps: *steps, Batch: *batch, LR: *lr, Seed: *seed, NoAugment: *noAugment, Backend: be, Log: stderr})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s on %s's held-out frames (%d people), agreement with %s (OKS AP / AP50 / AP75):\n", res.Student, *vid, res.ValPeople, res.Teacher)
	fmt.Fprintf(stdout, "  as imported, MoveNet's decoding:  %.3f / %.3f / %.3f\n", res.Native.AP, res.Native.AP50, res.Native.AP75)
	fmt.Fprintf(stdout, "  as imported, codec %s:    %.3f / %.3f / %.3f   %.1f ms\n", *codecKind, res.Before.AP, res.Before.AP50, res.Before.AP75, res.StudentMSBefore)
	how := ""
	if *noAugment {
		how = " without augmentation"
	}
	fmt.Fprintf(stdout, "  fine-tuned %d steps%s, codec %s:   %.3f / %.3f / %.3f   %.1f ms\n", res.Steps, how, *codecKind, res.After.AP, res.After.AP50, res.After.AP75, res.StudentMSAfter)
	if b, a := res.BeforeMoveNetCrop, res.AfterMoveNetCrop; b != nil && a != nil {
		fmt.Fprintf(stdout, "  on MoveNet's crops (its sampling grid), codec %s: as imported %.3f / %.3f / %.3f, fine-tuned %.3f / %.3f / %.3f\n",
			*codecKind, b.AP, b.AP50, b.AP75, a.AP, a.AP50, a.AP75)
	}
	return nil
}
