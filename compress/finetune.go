package compress

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// TeacherExtra is the batch extra tensor (train.ExtraPrefix + TeacherExtra) in which FineTune puts the
// teacher's heatmaps.
const TeacherExtra = "teacher/heatmaps"

// FineTuneOptions configures FineTune.
type FineTuneOptions struct {
	// Config is the training configuration (input size, codec, augmentation, optimizer, batch size);
	// its Steps, LR, warmup and checkpoint/validation intervals are the fine-tune's own.
	Config train.Config
	// DataDir holds the train and val splits; OutDir is the fine-tune's run directory.
	DataDir, OutDir string
	// Teacher, when set, adds the distillation term ‖H − H_T‖² against its heatmaps on the same crops
	// (e.g. the uncompressed network, train.PredictorHeatmaps); Alpha weighs the ground-truth term and
	// 1 − Alpha the teacher's, as MoVNect's blend. Without a teacher the loss is the GT term alone.
	Teacher train.HeatmapFunc
	Alpha   float64
	// Backend runs the training (nil: the Config's).
	Backend compute.Backend
	// Progress receives train.Run's progress bar (nil: none).
	Progress io.Writer
	// Quant, when set, makes the fine-tune quantization-aware: the training graph is built by
	// QuantModelFn with this spec (straight-through gradients are forced on), so the network
	// learns under the int8 weights and uint8 activations it will run with. The returned weights are
	// float; quantize them as the spec says (NewPTQModel with the same activations).
	Quant *QuantSpec
}

// FineTune trains net, starting from the weights in store, with train.Run (Options.Net and
// Options.Init: an init checkpoint is written to OutDir first), and returns a new store holding the
// fine-tuned network variables only (no optimizer state) and the run's summary. The input store is
// not modified. Validation is left to the caller (the run directory's checkpoint is the result).
func FineTune(ctx context.Context, net *nets.Net, store *model.Store, opt FineTuneOptions) (*model.Store, train.Summary, error) {
	var sum train.Summary
	if opt.Teacher != nil && !(opt.Alpha >= 0 && opt.Alpha <= 1) {
		return nil, sum, fmt.Errorf("fine-tune %s: alpha %g outside [0, 1]", net.Name, opt.Alpha)
	}
	if err := os.MkdirAll(opt.OutDir, 0o755); err != nil {
		return nil, sum, fmt.Errorf("fine-tune %s: %w", net.Name, err)
	}
	init := filepath.Join(opt.OutDir, "init.ckpt")
	if err := saveNetCheckpoint(init, net, store); err != nil {
		return nil, sum, fmt.Errorf("fine-tune %s: %w", net.Name, err)
	}
	loss := train.HeatmapLoss()
	var before func(context.Context, int, *topdown.Batch) error
	if opt.Teacher != nil {
		loss = &train.Loss{Terms: []train.Term{
			train.HeatmapMSE("heatmap_gt", train.Constant(opt.Alpha)),
			train.TeacherHeatmapMSE("heatmap_teacher", TeacherExtra, train.Constant(1-opt.Alpha)),
		}}
		before = teacherHook(opt.Teacher)
	}
	to := train.Options{
		DataDir: opt.DataDir, OutDir: opt.OutDir, Net: net, Init: init, Loss: loss, BeforeStep: before,
		Backend: opt.Backend, Progress: opt.Progress, NoValidation: true,
		Overwrite: true, // a fine-tune's folder is compress's scratch space, rewritten by each run
	}
	if opt.Quant != nil {
		spec := *opt.Quant
		spec.STE = true
		if err := checkSpec(net, spec); err != nil {
			return nil, sum, err
		}
		to.ModelFn = QuantModelFn(net, spec)
	}
	sum, err := train.Run(ctx, opt.Config, to)
	if err != nil {
		return nil, sum, fmt.Errorf("fine-tune %s: %w", net.Name, err)
	}
	out, err := readNetCheckpoint(filepath.Join(opt.OutDir, train.CheckpointFile), net)
	if err != nil {
		return nil, sum, fmt.Errorf("fine-tune %s: %w", net.Name, err)
	}
	return out, sum, nil
}

// teacherHook returns the BeforeStep function that adds the teacher's heatmaps of the batch's crops.
func teacherHook(teacher train.HeatmapFunc) func(context.Context, int, *topdown.Batch) error {
	return func(ctx context.Context, _ int, b *topdown.Batch) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := teacher(b.Images)
		if err != nil {
			return fmt.Errorf("teacher: %w", err)
		}
		n := 1
		for _, d := range b.Heatmaps.Shape {
			n *= d
		}
		if len(h) != n {
			return fmt.Errorf("teacher: %d heatmap values, the batch's heatmaps are %v", len(h), b.Heatmaps.Shape)
		}
		if b.Extra == nil {
			b.Extra = map[string]topdown.Tensor{}
		}
		b.Extra[TeacherExtra] = topdown.Tensor{Shape: append([]int(nil), b.Heatmaps.Shape...), Data: h}
		return nil
	}
}

// saveNetCheckpoint writes the variables of net's layers in store as a train checkpoint.
func saveNetCheckpoint(path string, net *nets.Net, store *model.Store) error {
	only, err := layerVariables(store, net)
	if err != nil {
		return err
	}
	return train.SaveCheckpoint(path, only, train.CheckpointInfo{Net: net})
}

// readNetCheckpoint returns a store with the variables of net's layers read from a train checkpoint.
func readNetCheckpoint(path string, net *nets.Net) (*model.Store, error) {
	_, vals, err := train.ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	layers := layerNames(net)
	out := model.NewStore()
	for p, t := range vals {
		if !layers[topScope(p)] {
			continue
		}
		if _, err := out.CreateVariable(p, t); err != nil {
			return nil, fmt.Errorf("read %s: %s: %w", path, p, err)
		}
	}
	return out, nil
}

// layerVariables returns a store holding copies of the variables of store under net's layers.
func layerVariables(store *model.Store, net *nets.Net) (*model.Store, error) {
	layers := layerNames(net)
	out := model.NewStore()
	for v := range store.IterVariables() {
		if !layers[topScope(v.Path())] {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		t, err = t.Clone()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		c, err := out.CreateVariable(v.Path(), t)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		c.SetTrainable(v.Trainable)
	}
	return out, nil
}

func layerNames(net *nets.Net) map[string]bool {
	m := make(map[string]bool, len(net.Layers))
	for _, l := range net.Layers {
		m[l.Name] = true
	}
	return m
}

// topScope returns the first element of a variable path ("/layer/bn/scale" → "layer").
func topScope(path string) string {
	s := strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i]
	}
	return s
}
