package tflite

import (
	"context"
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/modelcheck"
)

// Runner executes a Network on a GoMLX backend. The graph is compiled on the first Run.
type Runner struct {
	// Name names the model in errors (e.g. its file); a NaN or infinite output is a
	// modelcheck.NonFiniteError naming it.
	Name string
	net  *Network
	exec *graph.Exec
}

// NewRunner prepares net for execution on backend.
func NewRunner(backend compute.Backend, net *Network) (*Runner, error) {
	exec, err := graph.NewExec(backend, func(inputs []*graph.Node) []*graph.Node {
		outs, err := net.Build(inputs)
		if err != nil {
			panic(err) // Exec reports graph-building panics as errors from Call.
		}
		return outs
	})
	if err != nil {
		return nil, fmt.Errorf("tflite runner: %w", err)
	}
	return &Runner{Name: "tflite model", net: net, exec: exec}, nil
}

// Run executes the network on flat float32 inputs (row-major, shaped as Network.Inputs says) and
// returns the flat outputs in the order of Network.Outputs.
func (r *Runner) Run(ctx context.Context, inputs ...[]float32) ([][]float32, error) {
	specs := r.net.Inputs()
	if len(inputs) != len(specs) {
		return nil, fmt.Errorf("tflite run: %d inputs given, model has %d", len(inputs), len(specs))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tflite run: %w", err)
	}
	args := make([]any, len(inputs))
	for i, in := range inputs {
		if n := numElements(specs[i].Shape); n != len(in) {
			return nil, fmt.Errorf("tflite run: input %q has %d values, want %d (shape %v)", specs[i].Name, len(in), n, specs[i].Shape)
		}
		args[i] = tensors.FromFlatDataAndDimensions(in, specs[i].Shape...)
	}
	outs, err := r.exec.Call(args...)
	if err != nil {
		return nil, fmt.Errorf("tflite run: %w", err)
	}
	res := make([][]float32, len(outs))
	for i, t := range outs {
		v, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, fmt.Errorf("tflite run: output %d: %w", i, err)
		}
		res[i] = v
		t.FinalizeAll()
		name := fmt.Sprint(i)
		if specs := r.net.Outputs(); i < len(specs) && specs[i].Name != "" {
			name = specs[i].Name
		}
		if err := modelcheck.Float32s(r.Name, name, v); err != nil {
			return nil, err
		}
	}
	return res, nil
}
