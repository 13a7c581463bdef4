package export

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
)

// Int8 quantizes the folded kernel symmetrically per output channel (the last axis), as ONNX's
// DequantizeLinear reads it with zero point 0: scale = max|w|/127 per channel, code = round(w/scale)
// (ties to even, as ONNX's QuantizeLinear) in [−127, 127]. codes are in the kernel's layout.
func (f Folded) Int8() (codes []int8, scales []float32) {
	out := f.Dims[3]
	scales = make([]float32, out)
	for i, v := range f.Kernel {
		scales[i%out] = max(scales[i%out], float32(math.Abs(float64(v))))
	}
	for c := range scales {
		scales[c] /= 127
		if scales[c] < 0x1p-126 {
			scales[c] = 0x1p-126 // all-zero (or subnormal) channel
		}
	}
	codes = make([]int8, len(f.Kernel))
	for i, v := range f.Kernel {
		q := math.RoundToEven(float64(v) / float64(scales[i%out]))
		codes[i] = int8(min(max(q, -127), 127))
	}
	return codes, scales
}

// DequantizedInt8 returns the folded layer with its kernel replaced by the int8-quantized values
// (Int8 codes times scales, computed in float32 as DequantizeLinear does).
func (f Folded) DequantizedInt8() Folded {
	codes, scales := f.Int8()
	out := Folded{Dims: f.Dims, Bias: append([]float32(nil), f.Bias...), Kernel: make([]float32, len(codes))}
	for i, q := range codes {
		out.Kernel[i] = float32(q) * scales[i%f.Dims[3]]
	}
	return out
}

// FoldBatchNorm returns an inference-only copy of net and a new store in which every batch norm is
// folded into its convolution's weights and a bias (the network then has no batch norm, and trains
// differently, but computes the same in inference mode). With quantizeInt8, the folded kernels are also
// replaced by their int8 per-channel quantization (Folded.DequantizedInt8), which is what an ONNX
// export with Int8Weights computes. Variables are created at the root scope.
func FoldBatchNorm(net *nets.Net, store *model.Store, scope string, quantizeInt8 bool) (*nets.Net, *model.Store, error) {
	m := max(1, net.InputMultiple)
	shapes, err := net.Shapes(8*m, 8*m)
	if err != nil {
		return nil, nil, fmt.Errorf("fold batch norm: %w", err)
	}
	out := *net
	out.Layers = append([]nets.Layer(nil), net.Layers...)
	ns := model.NewStore()
	for i := range out.Layers {
		l := &out.Layers[i]
		if l.Op != nets.OpConv && l.Op != nets.OpDeconv {
			continue
		}
		f, err := FoldLayer(store, scope, l, shapes[l.Inputs[0]].C)
		if err != nil {
			return nil, nil, fmt.Errorf("fold batch norm %s: %w", net.Name, err)
		}
		if quantizeInt8 {
			f = f.DequantizedInt8()
		}
		l.BN, l.Bias = false, true
		for _, v := range []struct {
			name string
			t    *tensors.Tensor
		}{
			{"weights", tensors.FromFlatDataAndDimensions(f.Kernel, f.Dims[:]...)},
			{"biases", tensors.FromFlatDataAndDimensions(f.Bias, len(f.Bias))},
		} {
			if _, err := ns.CreateVariable(VariablePath("", l.Name, v.name), v.t); err != nil {
				return nil, nil, fmt.Errorf("fold batch norm %s: %w", net.Name, err)
			}
		}
	}
	return &out, ns, nil
}
