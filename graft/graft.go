// Package graft builds a student whose trunk is cut from a pretrained teacher's: a MoVNect whose
// MobileNetV2 layers take the weights of the matching layers of an imported MobileNetV2-based model
// (MoveNet's trunk), thinned to the student's widths by keeping each layer's channels of largest
// filter norm. The student's own layers (MoVNect's separable blocks, upsampling head and heads)
// are left to the trainer's initialisation.
//
// A student trained from scratch on a 2-core machine sees a few tens of thousands of crops; a
// grafted trunk starts from features learnt on COCO (and here fine-tuned on synthetic people).
// How much that helps, at which width, is measured in the README ("Students cut from the
// teacher").
package graft

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/compress"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/graft/hints"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/nets/layers"
)

// kerasLayer matches the convolutions and residual adds of Keras' MobileNetV2 in an imported
// model's layer names (TensorFlow op names such as "model.block_3_depthwise.depthwise",
// "model.block_2_add.add" or "model.Conv1_relu.Relu6").
var kerasLayer = regexp.MustCompile(`(?:^|\.)(?:(Conv1)|expanded_conv_(depthwise|project)|block_(\d+)_(expand|depthwise|project|add))(?:_relu|_BN)?\.`)

// torchvisionName returns the name MoVNect's builder gives the MobileNetV2 layer that a Keras
// MobileNetV2 layer name denotes ("" when it is not one): Keras' Conv1 is torchvision's features.0,
// its expanded_conv features.1 and its block_N features.N+1.
func torchvisionName(keras string) string {
	m := kerasLayer.FindStringSubmatch(keras)
	if m == nil {
		return ""
	}
	part := func(p string) string {
		if p == "depthwise" {
			return "dw"
		}
		return p
	}
	switch {
	case m[1] != "":
		return "features_0"
	case m[2] != "":
		return "features_1_" + part(m[2])
	default:
		n, _ := strconv.Atoi(m[3])
		return fmt.Sprintf("features_%d_%s", n+1, part(m[4]))
	}
}

// Result is a grafted student: its network, a store holding the weights of its trunk, which
// teacher layer each trunk layer came from, and the hints that tie its stages to the teacher's.
type Result struct {
	Net   *nets.Net
	Store *model.Store
	// From maps each student layer given weights to the teacher layer they were cut from.
	From map[string]string
	// Hints pair the output of each of the student trunk's stages with the teacher's channels it
	// was cut from: targets for feature distillation (FitNets' hints) that need no adapter.
	Hints []hints.Hint
}

// MoVNect returns the MoVNect of opt with its MobileNetV2 trunk cut from teacher (weights in store):
// every trunk convolution takes the weights of the teacher's matching layer, its channels chosen by
// filter norm (compress.PlanWidths; channels tied by residual adds chosen together), and the
// teacher layer's conventions (bias or batch norm, padding), so that at the teacher's own widths
// the trunk computes what the teacher's does. A per-channel input affine in front of the teacher's
// first convolution (nets.PrependAffine: an imported model's input normalisation) is folded into
// it; this changes only the outputs of the first convolution's border pixels, where the zero
// padding of the two differs.
func MoVNect(teacher *nets.Net, store *model.Store, opt nets.MoVNectOptions) (*Result, error) {
	student, err := nets.MoVNect(opt)
	if err != nil {
		return nil, err
	}
	byName := map[string]*nets.Layer{}
	for i := range teacher.Layers {
		l := &teacher.Layers[i]
		if l.Op != nets.OpConv && l.Op != nets.OpAdd {
			continue
		}
		if n := torchvisionName(l.Name); n != "" {
			if prev, dup := byName[n]; dup {
				return nil, fmt.Errorf("graft %s: layers %s and %s both look like MobileNetV2's %s", teacher.Name, prev.Name, l.Name, n)
			}
			byName[n] = l
		}
	}
	from := map[string]string{}
	widths := map[string]int{}
	for i := range student.Layers {
		s := &student.Layers[i]
		if s.Op != nets.OpConv || !strings.HasPrefix(s.Name, "features_") {
			continue
		}
		t, ok := byName[s.Name]
		if !ok {
			return nil, fmt.Errorf("graft %s: no MobileNetV2 layer of the teacher matches the student's %s (is it a MobileNetV2 imported from Keras?)", teacher.Name, s.Name)
		}
		tdw, sdw := t.GroupCount() > 1, s.GroupCount() > 1
		if t.KernelSize() != s.KernelSize() || t.StrideSize() != s.StrideSize() || tdw != sdw || t.Act != s.Act {
			return nil, fmt.Errorf("graft %s: teacher layer %s (kernel %d, stride %d, groups %d, %s) does not match the student's %s (kernel %d, stride %d, groups %d, %s)",
				teacher.Name, t.Name, t.KernelSize(), t.StrideSize(), t.GroupCount(), t.Act, s.Name, s.KernelSize(), s.StrideSize(), s.GroupCount(), s.Act)
		}
		if t.Out < s.Out {
			return nil, fmt.Errorf("graft %s: teacher layer %s has %d channels, fewer than the student's %s (%d)", teacher.Name, t.Name, t.Out, s.Name, s.Out)
		}
		if !tdw {
			widths[t.Name] = s.Out
		}
		from[s.Name] = t.Name
		s.BN, s.Bias, s.Pad = t.BN, t.Bias, t.Pad
	}
	plan, err := compress.PlanWidths(teacher, store, widths, compress.ChannelOptions{Criterion: compress.L1Norm})
	if err != nil {
		return nil, fmt.Errorf("graft %s: %w", teacher.Name, err)
	}
	thin, thinStore, err := plan.Prune(store, "")
	if err != nil {
		return nil, fmt.Errorf("graft %s: %w", teacher.Name, err)
	}
	to := make(map[string]string, len(from)) // teacher layer → student layer
	for sName, tName := range from {
		to[tName] = sName
	}
	out := model.NewStore()
	for v := range thinStore.IterVariables() {
		tName := nets.LayerOf(v.Path())
		sName, ok := to[tName]
		if !ok {
			continue
		}
		data, dims, err := export.ReadFloat32(thinStore, v.Path())
		if err != nil {
			return nil, fmt.Errorf("graft %s: %w", teacher.Name, err)
		}
		path := export.VariablePath("", sName, strings.TrimPrefix(v.Path(), "/"+tName+"/"))
		nv, err := out.CreateVariable(path, tensors.FromFlatDataAndDimensions(data, dims...))
		if err != nil {
			return nil, fmt.Errorf("graft %s: %w", teacher.Name, err)
		}
		nv.SetTrainable(v.Trainable)
	}
	if err := foldInputAffine(thin, thinStore, student, out, from); err != nil {
		return nil, fmt.Errorf("graft %s: %w", teacher.Name, err)
	}
	return &Result{Net: student, Store: out, From: from, Hints: stageHints(student, byName, plan)}, nil
}

// stageHints returns a hint for the output of every stage of the student's MobileNetV2 trunk: the
// output (residual add, or projection) of each block after which the channels or the stride
// change, and of the trunk's last block; a stage whose student block has a residual add where the
// teacher's has none (thin widths round a block's input and output to equal counts) has no hint.
func stageHints(student *nets.Net, teacher map[string]*nets.Layer, plan *compress.ChannelPlan) []hints.Hint {
	has := map[string]bool{}
	for _, l := range student.Layers {
		has[l.Name] = true
	}
	blockOut := func(n int) string {
		if name := fmt.Sprintf("features_%d_add", n); has[name] {
			return name
		}
		if name := fmt.Sprintf("features_%d_project", n); has[name] {
			return name
		}
		return ""
	}
	var out []hints.Hint
	for n := 1; blockOut(n) != ""; n++ {
		next := blockOut(n + 1)
		if next != "" && strings.HasSuffix(next, "_add") {
			continue // block n+1 continues the stage
		}
		s := blockOut(n)
		t, ok := teacher[s]
		if !ok {
			continue // the student adds a shortcut the teacher's block lacks: outputs differ
		}
		out = append(out, hints.Hint{Student: s, Teacher: t.Name, Channels: plan.Kept(t.Name)})
	}
	return out
}

// foldInputAffine folds the teacher's input affine, when its first convolution reads one, into the
// student's first convolution (already holding the teacher's weights in store): with the affine
// z_j = Σ_i A[i,j]·x_i + c_j, the weights become W'[·,·,i,o] = Σ_j A[i,j]·W[·,·,j,o] and the shift
// Σ W[·,·,j,o]·c_j moves into the bias (or the batch norm's mean).
func foldInputAffine(teacher *nets.Net, tstore *model.Store, student *nets.Net, store *model.Store, from map[string]string) error {
	const stem = "features_0"
	t, s := layerNamed(teacher, from[stem]), layerNamed(student, stem)
	if t == nil || s == nil {
		return fmt.Errorf("no first convolution %s", stem)
	}
	if t.Inputs[0] == nets.Input {
		return nil
	}
	a := layerNamed(teacher, t.Inputs[0])
	if a == nil || a.Op != nets.OpConv || a.Inputs[0] != nets.Input || a.Out != 3 || a.KernelSize() != 1 || a.GroupCount() != 1 || a.BN || a.Act != "" {
		return fmt.Errorf("the first convolution %s reads %s, which is not a 3-channel 1×1 input affine", t.Name, t.Inputs[0])
	}
	aw, _, err := export.ReadFloat32(tstore, export.VariablePath("", a.Name, "weights"))
	if err != nil {
		return err
	}
	c := make([]float32, 3)
	if a.Bias {
		if c, _, err = export.ReadFloat32(tstore, export.VariablePath("", a.Name, "biases")); err != nil {
			return err
		}
	}
	wPath := export.VariablePath("", stem, "weights")
	w, dims, err := export.ReadFloat32(store, wPath)
	if err != nil {
		return err
	}
	if len(dims) != 4 || dims[2] != 3 {
		return fmt.Errorf("%s: weights of shape %v, want [k, k, 3, out]", wPath, dims)
	}
	outCh := dims[3]
	folded := make([]float32, len(w))
	shift := make([]float32, outCh)
	for p := range dims[0] * dims[1] {
		for o := range outCh {
			for j := range 3 {
				wj := w[(p*3+j)*outCh+o]
				shift[o] += wj * c[j]
				for i := range 3 {
					folded[(p*3+i)*outCh+o] += aw[i*3+j] * wj
				}
			}
		}
	}
	if err := replace(store, wPath, folded, dims); err != nil {
		return err
	}
	switch {
	case s.BN:
		// BN(Wz) = γ·(W'x + shift − μ)/σ + β: the shift lowers the mean.
		mPath := export.VariablePath("", stem, layers.BNScope+"/mean")
		mean, mdims, err := export.ReadFloat32(store, mPath)
		if err != nil {
			return err
		}
		for o := range mean {
			mean[o] -= shift[o]
		}
		return replace(store, mPath, mean, mdims)
	case s.Bias:
		bPath := export.VariablePath("", stem, "biases")
		b, bdims, err := export.ReadFloat32(store, bPath)
		if err != nil {
			return err
		}
		for o := range b {
			b[o] += shift[o]
		}
		return replace(store, bPath, b, bdims)
	default:
		s.Bias = true
		_, err := store.CreateVariable(export.VariablePath("", stem, "biases"), tensors.FromFlatDataAndDimensions(shift, outCh))
		return err
	}
}

// layerNamed returns net's layer of that name, or nil.
func layerNamed(net *nets.Net, name string) *nets.Layer {
	for i := range net.Layers {
		if net.Layers[i].Name == name {
			return &net.Layers[i]
		}
	}
	return nil
}

// replace sets the float32 variable at path to data, keeping its trainable flag.
func replace(store *model.Store, path string, data []float32, dims []int) error {
	trainable := store.GetVariable(path).Trainable
	if err := store.DeleteVariable(path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	v, err := store.CreateVariable(path, tensors.FromFlatDataAndDimensions(data, dims...))
	if err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	v.SetTrainable(trainable)
	return nil
}
