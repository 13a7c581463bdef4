package compress

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/export"
)

// param is a float32 variable read from a store: its path, flat values and dimensions.
type param struct {
	path string
	data []float32
	dims []int
}

// readParam reads the variable name of layer under scope.
func readParam(store *model.Store, scope, layer, name string) (param, error) {
	path := export.VariablePath(scope, layer, name)
	data, dims, err := export.ReadFloat32(store, path)
	if err != nil {
		return param{}, err
	}
	return param{path: path, data: data, dims: dims}, nil
}

// pathOf returns the store path of a layer's variable.
func pathOf(scope, layer, name string) string { return export.VariablePath(scope, layer, name) }

// readVariable reads a float32 variable by its full path.
func readVariable(store *model.Store, path string) ([]float32, []int, error) {
	return export.ReadFloat32(store, path)
}

// hasVariable reports whether the store holds the variable name of layer under scope.
func hasVariable(store *model.Store, scope, layer, name string) bool {
	return store.GetVariable(export.VariablePath(scope, layer, name)) != nil
}

// setParam stores p's values in store at p.path, creating the variable if needed (keeping the old
// variable's trainable flag when replacing one of another shape).
func setParam(store *model.Store, p param) error {
	value := tensors.FromFlatDataAndDimensions(p.data, p.dims...)
	trainable := true
	if v := store.GetVariable(p.path); v != nil {
		trainable = v.Trainable
		if err := store.DeleteVariable(p.path); err != nil {
			return fmt.Errorf("replace %s: %w", p.path, err)
		}
	}
	v, err := store.CreateVariable(p.path, value)
	if err != nil {
		return fmt.Errorf("set %s: %w", p.path, err)
	}
	v.SetTrainable(trainable)
	return nil
}

// cloneStore returns a deep copy of store's variables and parameters, without its loader (so that
// replacing variables in the copy never reaches a checkpoint the original reads from).
func cloneStore(store *model.Store) (*model.Store, error) {
	c, err := store.Clone()
	if err != nil {
		return nil, fmt.Errorf("clone store: %w", err)
	}
	c.SetLoader(nil)
	return c, nil
}

// sliceAxis returns the values of p (dims d) keeping only the indices keep along axis.
func sliceAxis(p param, axis int, keep []int) param {
	outer, inner := 1, 1
	for i := range axis {
		outer *= p.dims[i]
	}
	for i := axis + 1; i < len(p.dims); i++ {
		inner *= p.dims[i]
	}
	n := p.dims[axis]
	out := make([]float32, 0, outer*len(keep)*inner)
	for o := range outer {
		for _, k := range keep {
			base := (o*n + k) * inner
			out = append(out, p.data[base:base+inner]...)
		}
	}
	dims := append([]int(nil), p.dims...)
	dims[axis] = len(keep)
	return param{path: p.path, data: out, dims: dims}
}
