package train

import (
	"fmt"
	"slices"
	"strings"

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
// are not copied. Every layer of the checkpoint must be a layer of net with variables of the same
// shapes (checked by building net's training graph at inputH×inputW on backend, without running
// it); layers of net the checkpoint lacks keep their fresh initialization. It returns the number
// of variables copied.
func InitWeights(path string, store *model.Store, net *nets.Net, backend compute.Backend, inputH, inputW int) (int, error) {
	info, vals, err := ReadCheckpoint(path)
	if err != nil {
		return 0, fmt.Errorf("init: %w", err)
	}
	ours := make(map[string]bool, len(net.Layers))
	for _, l := range net.Layers {
		ours[l.Name] = true
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
		layer := topScope(p)
		if !theirs[layer] {
			continue // optimizer state, counters, random state
		}
		if !ours[layer] {
			return 0, fmt.Errorf("init %s: variable %s: layer %q of %s is not a layer of %s", path, p, layer, info.Net.Name, net.Name)
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
		return 0, fmt.Errorf("init %s: no layer of %s is a layer of %s", path, info.Net.Name, net.Name)
	}
	// Building the graph reuses the loaded variables, and fails naming the first one whose shape
	// is not the one the layer asks for.
	g := graph.NewGraph(backend, "init-check")
	defer g.Finalize()
	images := graph.Parameter(g, "images", shapes.Make(dtypes.Float32, 1, inputH, inputW, net.InputChannels))
	if _, err := nets.Build(store.RootScope(), net, images, true); err != nil {
		return 0, fmt.Errorf("init %s: %w", path, err)
	}
	return n, nil
}

// topScope returns the first element of a variable path ("/layer/bn/scale" → "layer").
func topScope(path string) string {
	s := strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i]
	}
	return s
}
