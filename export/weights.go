package export

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/nets/layers"
)

// VariablePath returns the store path of a layer's variable: scope (empty for the root), the layer
// name, then the variable's name within the layer ("weights", "biases", "bn/scale", …).
func VariablePath(scope, layer, name string) string {
	return strings.TrimSuffix("/"+strings.Trim(scope, "/"), "/") + "/" + layer + "/" + name
}

// ReadFloat32 returns the flat values and dimensions of a float32 variable of store.
func ReadFloat32(store *model.Store, path string) ([]float32, []int, error) {
	v := store.GetVariable(path)
	if v == nil {
		return nil, nil, fmt.Errorf("variable %s: not in the store", path)
	}
	t, err := v.Value()
	if err != nil {
		return nil, nil, fmt.Errorf("variable %s: %w", path, err)
	}
	data, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nil, nil, fmt.Errorf("variable %s: %w", path, err)
	}
	return data, t.Shape().Dimensions, nil
}

// readShaped reads a float32 variable and checks its dimensions.
func readShaped(store *model.Store, path string, dims ...int) ([]float32, error) {
	data, got, err := ReadFloat32(store, path)
	if err != nil {
		return nil, err
	}
	if len(got) != len(dims) {
		return nil, fmt.Errorf("variable %s: shape %v, want %v", path, got, dims)
	}
	for i := range dims {
		if got[i] != dims[i] {
			return nil, fmt.Errorf("variable %s: shape %v, want %v", path, got, dims)
		}
	}
	return data, nil
}

// Folded is the inference-mode affine part of a convolution or transposed convolution: its kernel in
// GoMLX layout [kh, kw, in, out] (in per group for grouped convolutions) with batch norm's scale
// multiplied into each output channel, and the per-channel bias that batch norm and the layer's own
// bias add up to.
type Folded struct {
	Kernel []float32
	Dims   [4]int
	Bias   []float32
}

// FoldLayer reads a conv or deconv layer's variables from store and folds its batch norm, with the
// arithmetic of package nets/layers in inference mode: a = scale/√(variance+ε), b = offset − mean·a,
// kernel·a and bias·a + b. in is the number of input channels of the layer.
func FoldLayer(store *model.Store, scope string, l *nets.Layer, in int) (Folded, error) {
	var k, kin int
	switch l.Op {
	case nets.OpConv:
		k, kin = l.KernelSize(), in/l.GroupCount()
	case nets.OpDeconv:
		k, kin = 4, in
	default:
		return Folded{}, fmt.Errorf("fold %s: %s has no weights", l.Name, l.Op)
	}
	out := l.Out
	f := Folded{Dims: [4]int{k, k, kin, out}, Bias: make([]float32, out)}
	w, err := readShaped(store, VariablePath(scope, l.Name, "weights"), k, k, kin, out)
	if err != nil {
		return Folded{}, fmt.Errorf("fold %s: %w", l.Name, err)
	}
	f.Kernel = w
	if l.Bias { // nets always sets the bias explicitly: Layer.Bias decides.
		b, err := readShaped(store, VariablePath(scope, l.Name, "biases"), out)
		if err != nil {
			return Folded{}, fmt.Errorf("fold %s: %w", l.Name, err)
		}
		copy(f.Bias, b)
	}
	if !l.BN {
		return f, nil
	}
	var bn [4][]float32
	for i, name := range []string{"scale", "offset", "mean", "variance"} {
		bn[i], err = readShaped(store, VariablePath(scope, l.Name, layers.BNScope+"/"+name), out)
		if err != nil {
			return Folded{}, fmt.Errorf("fold %s: %w", l.Name, err)
		}
	}
	scale := make([]float32, out)
	for c := range out {
		// Same float32 operations as the graph: scale · 1/√(var+ε).
		a := bn[0][c] * (1 / float32(math.Sqrt(float64(bn[3][c]+float32(layers.BNEpsilon)))))
		scale[c] = a
		f.Bias[c] = f.Bias[c]*a + (bn[1][c] - bn[2][c]*a)
	}
	for i := range f.Kernel {
		f.Kernel[i] *= scale[i%out]
	}
	return f, nil
}
