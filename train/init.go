package train

import (
	"fmt"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
)

// InitWeights copies the network variables of the checkpoint at path (weights, biases, batch-norm
// scales, offsets and running statistics: every variable under a layer of the checkpoint's
// network) into store for net, for fine-tuning; optimizer state, step counters and random state
// are not copied. Each must be a variable of net of the same shape: net's training graph is built
// (not run) at inputH×inputW on backend to list them. Variables of net the checkpoint lacks (a
// new head) keep their fresh initialization. It returns the number of variables copied.
func InitWeights(path string, store *model.Store, net *nets.Net, backend compute.Backend, inputH, inputW int) (int, error) {
	info, vals, err := ReadCheckpoint(path)
	if err != nil {
		return 0, fmt.Errorf("init: %w", err)
	}
	want, err := netVariables(net, backend, inputH, inputW)
	if err != nil {
		return 0, fmt.Errorf("init %s: %w", path, err)
	}
	theirs := make(map[string]bool, len(info.Net.Layers))
	for _, l := range info.Net.Layers {
		theirs[l.Name] = true
	}
	trainable := make(map[string]bool, len(info.Vars))
	for _, v := range info.Vars {
		trainable[v.Path] = v.Trainable
	}
	paths := make([]string, 0, len(vals))
	for p := range vals {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	n := 0
	for _, p := range paths {
		if !theirs[nets.LayerOf(p)] {
			continue // optimizer state, counters, random state
		}
		shape, ok := want[p]
		if !ok {
			return 0, fmt.Errorf("init %s: variable %s of %s is not a variable of %s (no layer %q of that kind)", path, p, info.Net.Name, net.Name, nets.LayerOf(p))
		}
		if got := vals[p].Shape(); !got.Equal(shape) {
			return 0, fmt.Errorf("init %s: variable %s has shape %s in the checkpoint, %s wants %s", path, p, got, net.Name, shape)
		}
		if v := store.GetVariable(p); v != nil {
			return 0, fmt.Errorf("init %s: variable %s already exists", path, p)
		}
		v, err := store.CreateVariable(p, vals[p])
		if err != nil {
			return 0, fmt.Errorf("init %s: variable %s: %w", path, p, err)
		}
		v.SetTrainable(trainable[p])
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("init %s: no variable of %s is a variable of %s", path, info.Net.Name, net.Name)
	}
	return n, nil
}

// netVariables returns the shapes of the variables net's training graph creates, by path: the
// graph is built on a scratch store at inputH×inputW and never compiled or run.
func netVariables(net *nets.Net, backend compute.Backend, inputH, inputW int) (map[string]shapes.Shape, error) {
	scratch := model.NewStore()
	g := graph.NewGraph(backend, "variables")
	defer g.Finalize()
	images := graph.Parameter(g, "images", shapes.Make(dtypes.Float32, 1, inputH, inputW, net.InputChannels))
	if _, err := nets.Build(scratch.RootScope(), net, images, true); err != nil {
		return nil, err
	}
	out := map[string]shapes.Shape{}
	for v := range scratch.IterVariables() {
		out[v.Path()] = v.Shape()
	}
	return out, nil
}
