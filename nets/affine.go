package nets

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// PrependAffine puts a 1×1 convolution named name, y_c = a_c·x_c + b_c, before every layer of a
// 3-channel net that reads the network's input, with its weights in store: an imported model's
// own input normalization, expressed for the crops a caller feeds it (and trainable with the
// rest).
func PrependAffine(net *Net, store *model.Store, name string, a, b [3]float64) error {
	if net.InputChannels != 3 {
		return fmt.Errorf("net %s takes %d channels, want 3", net.Name, net.InputChannels)
	}
	if net.HasLayer(name) {
		return fmt.Errorf("net %s already has a layer %q", net.Name, name)
	}
	for i := range net.Layers {
		for j, in := range net.Layers[i].Inputs {
			if in == Input {
				net.Layers[i].Inputs[j] = name
			}
		}
	}
	l := Layer{Name: name, Op: OpConv, Inputs: []string{Input}, Out: 3, Kernel: 1, Bias: true}
	net.Layers = append([]Layer{l}, net.Layers...)
	k := make([]float32, 9) // [1, 1, in, out]
	bias := make([]float32, 3)
	for c := range 3 {
		k[c*3+c], bias[c] = float32(a[c]), float32(b[c])
	}
	if _, err := store.CreateVariable("/"+name+"/weights", tensors.FromFlatDataAndDimensions(k, 1, 1, 3, 3)); err != nil {
		return fmt.Errorf("net %s: %w", net.Name, err)
	}
	if _, err := store.CreateVariable("/"+name+"/biases", tensors.FromFlatDataAndDimensions(bias, 3)); err != nil {
		return fmt.Errorf("net %s: %w", net.Name, err)
	}
	return nil
}
