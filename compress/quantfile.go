package compress

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/nets"
)

// QuantMetadataKey is the safetensors metadata key under which a quantized model file describes its
// quantized tensors (a JSON object: name → {format, dims, per_channel, asymmetric}).
const QuantMetadataKey = "posedistill.quantization"

// QuantizedModel is a store whose convolution weights are quantized: the packed weights plus every
// other variable (biases, batch norm, …) in its own dtype.
type QuantizedModel struct {
	Weights []*QTensor
	Others  []export.Tensor
}

// QuantizeStore quantizes the weights of every convolution and transposed convolution of net (per
// output channel: the last axis) and keeps the other variables of store as they are.
func QuantizeStore(net *nets.Net, store *model.Store, scope string, opt QuantOptions) (*QuantizedModel, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	weights := map[string]bool{}
	for _, l := range net.Layers {
		if l.Op == nets.OpConv || l.Op == nets.OpDeconv {
			weights[strings.TrimPrefix(pathOf(scope, l.Name, "weights"), "/")] = true
		}
	}
	all, err := export.StoreTensors(store)
	if err != nil {
		return nil, fmt.Errorf("quantize %s: %w", net.Name, err)
	}
	m := &QuantizedModel{}
	found := 0
	for _, t := range all {
		if !weights[t.Name] {
			m.Others = append(m.Others, t)
			continue
		}
		values, err := t.Float32s()
		if err != nil {
			return nil, fmt.Errorf("quantize %s: %w", net.Name, err)
		}
		q, err := Quantize(t.Name, values, t.Shape, opt)
		if err != nil {
			return nil, fmt.Errorf("quantize %s: %w", net.Name, err)
		}
		m.Weights = append(m.Weights, q)
		found++
	}
	if found != len(weights) {
		return nil, fmt.Errorf("quantize %s: %d of %d layer weights are in the store", net.Name, found, len(weights))
	}
	return m, nil
}

// quantEntry describes one quantized tensor in the file's metadata.
type quantEntry struct {
	Format     Format `json:"format"`
	Dims       []int  `json:"dims"`
	PerChannel bool   `json:"per_channel,omitempty"`
	Asymmetric bool   `json:"asymmetric,omitempty"`
}

// Tensors returns the model as safetensors tensors: each quantized weight as "<name>" (F16, I8 or U8
// codes; int4 as U8 bytes of two codes, shape [bytes]) with "<name>.scale" (F32) and, when
// asymmetric, "<name>.zero" (U8); the other variables unchanged. The metadata describes the
// quantized tensors under QuantMetadataKey.
func (m *QuantizedModel) Tensors() ([]export.Tensor, map[string]string, error) {
	entries := map[string]quantEntry{}
	list := slices.Clone(m.Others)
	for _, q := range m.Weights {
		if err := q.check(); err != nil {
			return nil, nil, err
		}
		entries[q.Name] = quantEntry{q.Format, q.Dims, q.PerChannel, q.Asymmetric}
		t := export.Tensor{Name: q.Name, Data: q.Packed, Shape: q.Dims}
		switch {
		case q.Format == Float16:
			t.DType = "F16"
		case q.Format == Int8 && !q.Asymmetric:
			t.DType = "I8"
		case q.Format == Int8:
			t.DType = "U8"
		default:
			t.DType, t.Shape = "U8", []int{len(q.Packed)}
		}
		list = append(list, t)
		if q.Scale != nil {
			list = append(list, export.Float32Tensor(q.Name+".scale", q.Scale, len(q.Scale)))
		}
		if q.Zero != nil {
			list = append(list, export.Tensor{Name: q.Name + ".zero", DType: "U8", Shape: []int{len(q.Zero)}, Data: slices.Clone(q.Zero)})
		}
	}
	js, err := json.Marshal(entries)
	if err != nil {
		return nil, nil, err
	}
	return list, map[string]string{QuantMetadataKey: string(js)}, nil
}

// Write writes the model to path as a safetensors file (see Tensors), atomically.
func (m *QuantizedModel) Write(path string) error {
	list, meta, err := m.Tensors()
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return export.WriteSafetensors(path, list, meta)
}

// ReadQuantized reads a file written by QuantizedModel.Write.
func ReadQuantized(path string) (*QuantizedModel, error) {
	list, meta, err := export.ReadSafetensors(path)
	if err != nil {
		return nil, err
	}
	var entries map[string]quantEntry
	if err := json.Unmarshal([]byte(meta[QuantMetadataKey]), &entries); err != nil {
		return nil, fmt.Errorf("read %s: quantization metadata: %w", path, err)
	}
	byName := map[string]export.Tensor{}
	for _, t := range list {
		byName[t.Name] = t
	}
	m := &QuantizedModel{}
	aux := map[string]bool{}
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		e := entries[name]
		t, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("read %s: quantized tensor %s is missing", path, name)
		}
		q := &QTensor{Name: name, Dims: e.Dims, Packed: t.Data,
			QuantOptions: QuantOptions{Format: e.Format, PerChannel: e.PerChannel, Asymmetric: e.Asymmetric}}
		if s, ok := byName[name+".scale"]; ok {
			if q.Scale, err = s.Float32s(); err != nil {
				return nil, fmt.Errorf("read %s: %w", path, err)
			}
			aux[s.Name] = true
		}
		if z, ok := byName[name+".zero"]; ok {
			q.Zero = z.Data
			aux[z.Name] = true
		}
		if err := q.check(); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		m.Weights = append(m.Weights, q)
		aux[name] = true
	}
	for _, t := range list {
		if !aux[t.Name] {
			m.Others = append(m.Others, t)
		}
	}
	return m, nil
}

// Store returns a float32 store with the dequantized weights and the other variables, to run the
// quantized network with nets.Predictor (weights-only quantization: inference stays float32).
func (m *QuantizedModel) Store() (*model.Store, error) {
	list := slices.Clone(m.Others)
	for _, q := range m.Weights {
		v, err := q.Dequantize()
		if err != nil {
			return nil, err
		}
		list = append(list, export.Float32Tensor(q.Name, v, q.Dims...))
	}
	store := model.NewStore()
	if err := export.LoadStoreTensors(store, list); err != nil {
		return nil, fmt.Errorf("quantized store: %w", err)
	}
	return store, nil
}

// WeightBytes returns the bytes the quantized weights take: packed codes, scales and zero points.
func (m *QuantizedModel) WeightBytes() int64 {
	var n int64
	for _, q := range m.Weights {
		n += int64(len(q.Packed) + 4*len(q.Scale) + len(q.Zero))
	}
	return n
}
