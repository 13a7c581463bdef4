package tfjs

import (
	"context"
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Runner executes a Graph on a GoMLX backend. A graph is compiled for each new input shape on
// first use.
type Runner struct {
	g    *Graph
	exec *graph.Exec
}

// NewRunner prepares g for execution on backend.
func NewRunner(backend compute.Backend, g *Graph) (*Runner, error) {
	exec, err := graph.NewExec(backend, func(inputs []*graph.Node) []*graph.Node {
		outs, err := g.Build(inputs)
		if err != nil {
			panic(err) // Exec reports graph-building panics as errors from Call.
		}
		return outs
	})
	if err != nil {
		return nil, fmt.Errorf("tfjs runner: %w", err)
	}
	return &Runner{g: g, exec: exec}, nil
}

// Output is one output of a run, converted to float32.
type Output struct {
	Shape  []int
	Values []float32
}

// Run executes the graph on inputs (in the order of Graph.Inputs, each of the input's type: int32 or
// float32 flat data with its dimensions, see tensors.FromFlatDataAndDimensions) and returns the
// outputs in the order of Graph.Outputs.
func (r *Runner) Run(ctx context.Context, inputs ...*tensors.Tensor) ([]Output, error) {
	if len(inputs) != len(r.g.Inputs()) {
		return nil, fmt.Errorf("tfjs run: %d inputs given, model has %d", len(inputs), len(r.g.Inputs()))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tfjs run: %w", err)
	}
	args := make([]any, len(inputs))
	for i, t := range inputs {
		args[i] = t
	}
	outs, err := r.exec.Call(args...)
	if err != nil {
		return nil, fmt.Errorf("tfjs run: %w", err)
	}
	res := make([]Output, len(outs))
	for i, t := range outs {
		if t.DType() != toGoMLX(Float32) {
			c, err := convertToFloat32(t)
			t.FinalizeAll()
			if err != nil {
				return nil, fmt.Errorf("tfjs run: output %d: %w", i, err)
			}
			t = c
		}
		v, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, fmt.Errorf("tfjs run: output %d: %w", i, err)
		}
		res[i] = Output{Shape: append([]int{}, t.Shape().Dimensions...), Values: v}
		t.FinalizeAll()
	}
	return res, nil
}

// convertToFloat32 copies an int32 or bool tensor into a float32 one.
func convertToFloat32(t *tensors.Tensor) (*tensors.Tensor, error) {
	dims := t.Shape().Dimensions
	switch t.DType() {
	case toGoMLX(Int32):
		v, err := tensors.CopyFlatData[int32](t)
		if err != nil {
			return nil, err
		}
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensors.FromFlatDataAndDimensions(f, dims...), nil
	case toGoMLX(Bool):
		v, err := tensors.CopyFlatData[bool](t)
		if err != nil {
			return nil, err
		}
		f := make([]float32, len(v))
		for i, x := range v {
			if x {
				f[i] = 1
			}
		}
		return tensors.FromFlatDataAndDimensions(f, dims...), nil
	}
	return nil, fmt.Errorf("output type %s", t.DType())
}
