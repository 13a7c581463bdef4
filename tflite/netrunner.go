package tflite

import (
	"context"
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/modelcheck"
	"github.com/posedistill/posedistill/nets"
)

// NetRunner executes an imported network (ImportNet) built by package nets, with its variables in
// a store, and returns what the model's outputs hold. The graph is compiled on the first Run.
type NetRunner struct {
	// Name names the model in errors (e.g. its file); a NaN or infinite output is a
	// modelcheck.NonFiniteError naming it.
	Name string
	part *NetPart
	exec *model.Exec
}

// NewNetRunner prepares part for execution on backend with the variables of store (part.NewStore
// for the imported weights, or a fine-tuned model's).
func NewNetRunner(backend compute.Backend, part *NetPart, store *model.Store) (*NetRunner, error) {
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *graph.Node) []*graph.Node {
		outs, err := BuildNetPart(scope, part, x)
		if err != nil {
			panic(err) // Exec reports graph-building panics as errors from Call.
		}
		return outs
	})
	if err != nil {
		return nil, fmt.Errorf("tflite net runner: %w", err)
	}
	return &NetRunner{Name: part.Net.Name, part: part, exec: exec}, nil
}

// BuildNetPart builds part's network on images [N, S, S, C] in inference mode, its variables
// under scope, and returns the layers holding the model's outputs, in the order of
// NetPart.Outputs flattened (one node per layer, each [N, H, W, C]).
func BuildNetPart(scope *model.Scope, part *NetPart, images *graph.Node) ([]*graph.Node, error) {
	values := map[string]*graph.Node{}
	want := map[string]bool{}
	var held []string
	for _, ls := range part.Outputs {
		held = append(held, ls...)
	}
	for _, l := range held {
		want[l] = true
	}
	_, err := nets.BuildWith(scope, part.Net, images, false, nets.BuildOptions{
		Layer: func(_ *model.Scope, l *nets.Layer, _ []*graph.Node, build func() *graph.Node) *graph.Node {
			y := build()
			if want[l.Name] {
				values[l.Name] = y
			}
			return y
		}})
	if err != nil {
		return nil, err
	}
	outs := make([]*graph.Node, len(held))
	for i, l := range held {
		outs[i] = values[l]
	}
	return outs, nil
}

// Run executes the network on one flat float32 input [1, S, S, C] and returns the flat outputs in
// the order of the model's outputs (an output holding several layers, their values one after the
// other).
func (r *NetRunner) Run(ctx context.Context, input []float32) ([][]float32, error) {
	s, c := r.part.Net.InputMultiple, r.part.Net.InputChannels
	if len(input) != s*s*c {
		return nil, fmt.Errorf("tflite net run %s: input has %d values, want %d (%dx%dx%d)", r.Name, len(input), s*s*c, s, s, c)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tflite net run %s: %w", r.Name, err)
	}
	outs, err := r.exec.Call(tensors.FromFlatDataAndDimensions(input, 1, s, s, c))
	if err != nil {
		return nil, fmt.Errorf("tflite net run %s: %w", r.Name, err)
	}
	flat := make([][]float32, len(outs))
	for i, t := range outs {
		v, err := tensors.CopyFlatData[float32](t)
		t.FinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("tflite net run %s: output layer %d: %w", r.Name, i, err)
		}
		flat[i] = v
	}
	res := make([][]float32, len(r.part.Outputs))
	for i, ls := range r.part.Outputs {
		for j, l := range ls {
			v := flat[0]
			flat = flat[1:]
			if err := modelcheck.Float32s(r.Name, l, v); err != nil {
				return nil, err
			}
			if len(ls) == 1 {
				res[i] = v
				continue
			}
			if j == 0 {
				res[i] = make([]float32, 0, len(v)*len(ls))
			}
			res[i] = append(res[i], v...)
		}
	}
	return res, nil
}
