package nets

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
)

// LayerOf returns the layer a variable path belongs to: its first element ("/layer/bn/scale" →
// "layer"). Networks are built at the root scope, one sub-scope per layer.
func LayerOf(path string) string {
	s := strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i]
	}
	return s
}

// HasLayer reports whether the net has a layer of that name.
func (n *Net) HasLayer(name string) bool {
	for _, l := range n.Layers {
		if l.Name == name {
			return true
		}
	}
	return false
}

// Variables returns a new store with copies of the variables of store that belong to the net's
// layers (see LayerOf), keeping their trainable flags: a checkpoint also holds the optimizer's
// state, the step and the random generator's state, which inference, export and compression do not
// need. It fails when store holds no variable of the net.
func (n *Net) Variables(store *model.Store) (*model.Store, error) {
	layers := make(map[string]bool, len(n.Layers))
	for _, l := range n.Layers {
		layers[l.Name] = true
	}
	out := model.NewStore()
	count := 0
	for v := range store.IterVariables() {
		if !layers[LayerOf(v.Path())] {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		if t, err = t.Clone(); err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		c, err := out.CreateVariable(v.Path(), t)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		c.SetTrainable(v.Trainable)
		count++
	}
	if count == 0 {
		return nil, fmt.Errorf("no variable of network %s", n.Name)
	}
	return out, nil
}
