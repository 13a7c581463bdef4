package distill

import (
	"context"
	"fmt"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/graft/hints"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// HintTerms asks for feature distillation (FitNets' hints) of a grafted student: each stage of its
// trunk learns to reproduce the teacher's channels it was cut from (hints.Hint), on the student's
// own crops, beside the heatmap terms.
type HintTerms struct {
	// File is the hint set "models graft" wrote (hints.File).
	File string `json:"file"`
	// Weight multiplies each hint's normalised error (see HintMSE).
	Weight float64 `json:"weight"`
}

// hintExtra names the batch tensor holding a hint's teacher features.
func hintExtra(h hints.Hint) string { return "hint/" + h.Student }

// HintMSE is hint i's term: Σ(S − T)² / Σ T² over the batch, between the student's layer output
// (the i-th output after the heads, TermInputs.Out.Extra) and the teacher's features in the
// batch's extra tensor; normalised by the teacher's energy so that every stage weighs alike
// whatever its activations' scale.
func HintMSE(i int, h hints.Hint, weight train.Schedule) train.Term {
	key := train.ExtraPrefix + hintExtra(h)
	return train.Term{
		Name: "hint_" + h.Student, Needs: []string{key}, Weight: weight,
		Build: func(in train.TermInputs) *graph.Node {
			s, t := in.Out.Extra[i], in.Tensors[key]
			d := graph.Sub(s, t)
			return graph.Div(graph.ReduceAllSum(graph.Mul(d, d)), graph.AddScalar(graph.ReduceAllSum(graph.Mul(t, t)), 1e-6))
		},
	}
}

// hintModelFn builds the student as nets.ModelFn does and returns, after its heads, the outputs of
// the hints' student layers in order.
func hintModelFn(net *nets.Net, hs []hints.Hint) func(scope *model.Scope, images *graph.Node) []*graph.Node {
	return func(scope *model.Scope, images *graph.Node) []*graph.Node {
		out, taps, err := buildWithTaps(scope, net, images, scope.IsTraining(images.Graph()))
		if err != nil {
			panic(err)
		}
		list := out.List()
		for _, h := range hs {
			list = append(list, taps[h.Student])
		}
		return list
	}
}

// buildWithTaps builds net as nets.Build does and also returns every layer's output by name.
func buildWithTaps(scope *model.Scope, net *nets.Net, images *graph.Node, training bool) (nets.Outputs, map[string]*graph.Node, error) {
	taps := map[string]*graph.Node{}
	out, err := nets.BuildWith(scope, net, images, training, nets.BuildOptions{
		Layer: func(_ *model.Scope, l *nets.Layer, _ []*graph.Node, build func() *graph.Node) *graph.Node {
			y := build()
			taps[l.Name] = y
			return y
		},
	})
	return out, taps, err
}

// hintTeacher computes the teacher's hint features of a batch of crops: the teacher's layers up to
// the last hint layer, in inference mode.
type hintTeacher struct {
	exec  *model.Exec
	hints []hints.Hint
}

// newHintTeacher loads the hint set's teacher and checks the hints against it and the student.
func newHintTeacher(be compute.Backend, set hints.Set, student *nets.Net, inputH, inputW int) (*hintTeacher, error) {
	tr, err := train.LoadTrained(set.Teacher)
	if err != nil {
		return nil, fmt.Errorf("hint teacher: %w", err)
	}
	last := -1
	for _, h := range set.Hints {
		i := slices.IndexFunc(tr.Net.Layers, func(l nets.Layer) bool { return l.Name == h.Teacher })
		if i < 0 {
			return nil, fmt.Errorf("hint teacher %s has no layer %s", set.Teacher, h.Teacher)
		}
		last = max(last, i)
	}
	tShapes, err := tr.Net.Shapes(inputH, inputW)
	if err != nil {
		return nil, fmt.Errorf("hint teacher %s: %w", set.Teacher, err)
	}
	// The teacher up to its last hint layer, that layer standing as its head.
	cut := *tr.Net
	cut.Layers = slices.Clone(tr.Net.Layers[:last+1])
	cut.Heads = nets.Heads{Heatmaps: cut.Layers[last].Name}
	cut.Joints = tShapes[cut.Heads.Heatmaps].C
	sShapes, err := student.Shapes(inputH, inputW)
	if err != nil {
		return nil, fmt.Errorf("hint student: %w", err)
	}
	for _, h := range set.Hints {
		ts, ss := tShapes[h.Teacher], sShapes[h.Student]
		if ts.H != ss.H || ts.W != ss.W || ss.C != len(h.Channels) || slices.Max(h.Channels) >= ts.C {
			return nil, fmt.Errorf("hint %s ← %s: student output %v, teacher output %v, %d channels chosen", h.Student, h.Teacher, ss, ts, len(h.Channels))
		}
	}
	exec, err := model.NewExec(be, tr.Store, func(scope *model.Scope, images *graph.Node) []*graph.Node {
		_, taps, err := buildWithTaps(scope, &cut, images, false)
		if err != nil {
			panic(err)
		}
		var list []*graph.Node
		for _, h := range set.Hints {
			idx := make([]int32, len(h.Channels))
			for i, c := range h.Channels {
				idx[i] = int32(c)
			}
			// Gather along the channel axis: move channels first, gather, move them back.
			t := graph.TransposeAllDims(taps[h.Teacher], 3, 0, 1, 2)
			t = graph.Gather(t, graph.ExpandAxes(graph.Const(images.Graph(), idx), -1))
			list = append(list, graph.TransposeAllDims(t, 1, 2, 3, 0))
		}
		return list
	})
	if err != nil {
		return nil, fmt.Errorf("hint teacher %s: %w", set.Teacher, err)
	}
	return &hintTeacher{exec: exec, hints: set.Hints}, nil
}

// hook adds the teacher's hint features of the batch's crops to its extras.
func (t *hintTeacher) hook(_ context.Context, _ int, b *topdown.Batch) error {
	if b.Extra == nil {
		b.Extra = map[string]topdown.Tensor{}
	}
	outs, err := t.exec.Call(tensors.FromFlatDataAndDimensions(b.Images.Data, b.Images.Shape...))
	if err != nil {
		return fmt.Errorf("hint teacher: %w", err)
	}
	for i, h := range t.hints {
		v, err := tensors.CopyFlatData[float32](outs[i])
		if err != nil {
			return fmt.Errorf("hint teacher %s: %w", h.Teacher, err)
		}
		b.Extra[hintExtra(h)] = topdown.Tensor{Shape: outs[i].Shape().Dimensions, Data: v}
	}
	return nil
}

// close releases the compiled graph.
func (t *hintTeacher) close() { t.exec.Finalize() }
