package compress

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
)

// MagnitudeOptions configures unstructured magnitude pruning.
type MagnitudeOptions struct {
	// Scope is the store scope the network was built under (empty: the root).
	Scope string
	// Sparsity is the fraction of weights to zero, in [0, 1].
	Sparsity float64
	// Global zeroes the smallest weights of the whole network under one threshold; otherwise each
	// layer loses the same fraction of its own weights.
	Global bool
	// SkipDepthwise leaves depthwise convolutions dense (they hold few weights and are sensitive).
	SkipDepthwise bool
}

// Masks holds, for the weights variable of each pruned layer (by store path), which weights stay.
type Masks map[string][]bool

// MagnitudeMasks chooses the weights of net's convolutions and transposed convolutions to zero: the
// smallest in magnitude (ties broken by layer order, then position), exactly ⌊Sparsity·n⌋ of the n
// weights considered — per layer, or of all layers together with Global. It needs 4 bytes of memory
// per weight considered, plus the weights.
func MagnitudeMasks(net *nets.Net, store *model.Store, opt MagnitudeOptions) (Masks, error) {
	if !(opt.Sparsity >= 0 && opt.Sparsity <= 1) {
		return nil, fmt.Errorf("magnitude masks %s: sparsity %g outside [0, 1]", net.Name, opt.Sparsity)
	}
	m := max(1, net.InputMultiple)
	shapes, err := net.Shapes(8*m, 8*m)
	if err != nil {
		return nil, fmt.Errorf("magnitude masks: %w", err)
	}
	var ws []param
	for i := range net.Layers {
		l := &net.Layers[i]
		if l.Op != nets.OpConv && l.Op != nets.OpDeconv {
			continue
		}
		if opt.SkipDepthwise && isDepthwise(l, shapes[l.Inputs[0]].C) {
			continue
		}
		w, err := readParam(store, opt.Scope, l.Name, "weights")
		if err != nil {
			return nil, fmt.Errorf("magnitude masks %s: %w", net.Name, err)
		}
		ws = append(ws, w)
	}
	masks := Masks{}
	for _, w := range ws {
		masks[w.path] = make([]bool, len(w.data))
		for i := range masks[w.path] {
			masks[w.path][i] = true
		}
	}
	if opt.Global {
		var all []float32
		for _, w := range ws {
			all = appendMagnitudes(all, w.data)
		}
		t, ties := threshold(all, int(opt.Sparsity*float64(len(all))))
		for _, w := range ws {
			ties = maskBelow(masks[w.path], w.data, t, ties)
		}
	} else {
		for _, w := range ws {
			t, ties := threshold(appendMagnitudes(nil, w.data), int(opt.Sparsity*float64(len(w.data))))
			maskBelow(masks[w.path], w.data, t, ties)
		}
	}
	return masks, nil
}

// appendMagnitudes appends |v| of every value to dst.
func appendMagnitudes(dst, values []float32) []float32 {
	for _, v := range values {
		dst = append(dst, float32(math.Abs(float64(v))))
	}
	return dst
}

// threshold returns the magnitude t such that zeroing every weight below t and the first ties weights
// equal to t zeroes exactly k of mags (which it sorts).
func threshold(mags []float32, k int) (t float32, ties int) {
	if k <= 0 {
		return 0, 0 // nothing is below 0, and no ties are taken
	}
	slices.Sort(mags)
	t = mags[k-1]
	below, _ := slices.BinarySearch(mags, t) // number of magnitudes < t
	return t, k - below
}

// maskBelow clears keep for the weights with |w| < t and for the first ties weights with |w| = t, and
// returns the ties left for later tensors.
func maskBelow(keep []bool, w []float32, t float32, ties int) int {
	for i, v := range w {
		a := float32(math.Abs(float64(v)))
		switch {
		case a < t:
			keep[i] = false
		case a == t && ties > 0:
			keep[i] = false
			ties--
		}
	}
	return ties
}

// Apply returns a copy of store with the masked-out weights set to zero.
func (m Masks) Apply(store *model.Store) (*model.Store, error) {
	params, err := m.masked(store)
	if err != nil {
		return nil, err
	}
	ns, err := cloneStore(store)
	if err != nil {
		return nil, fmt.Errorf("apply masks: %w", err)
	}
	for _, p := range params {
		if err := setParam(ns, p); err != nil {
			return nil, fmt.Errorf("apply masks: %w", err)
		}
	}
	return ns, nil
}

// ApplyInPlace sets the masked-out weights of store to zero, for a training loop that owns the store
// and re-applies the masks after its optimizer steps (gradual pruning with Schedule).
func (m Masks) ApplyInPlace(store *model.Store) error {
	params, err := m.masked(store)
	if err != nil {
		return err
	}
	for _, p := range params {
		v := store.GetVariable(p.path)
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(p.data, p.dims...)); err != nil {
			return fmt.Errorf("apply masks: %s: %w", p.path, err)
		}
	}
	return nil
}

// masked reads the masked variables of store and returns them with the masked-out values zeroed.
func (m Masks) masked(store *model.Store) ([]param, error) {
	paths := make([]string, 0, len(m))
	for path := range m {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	var params []param
	for _, path := range paths {
		keep := m[path]
		data, dims, err := readVariable(store, path)
		if err != nil {
			return nil, fmt.Errorf("apply masks: %w", err)
		}
		if len(data) != len(keep) {
			return nil, fmt.Errorf("apply masks: %s has %d values, the mask %d", path, len(data), len(keep))
		}
		for i, k := range keep {
			if !k {
				data[i] = 0
			}
		}
		params = append(params, param{path: path, data: data, dims: dims})
	}
	return params, nil
}

// Sparsity returns the number of zero weights and of all weights in net's convolutions and
// transposed convolutions.
func Sparsity(net *nets.Net, store *model.Store, scope string) (zeros, total int64, err error) {
	for i := range net.Layers {
		l := &net.Layers[i]
		if l.Op != nets.OpConv && l.Op != nets.OpDeconv {
			continue
		}
		w, err := readParam(store, scope, l.Name, "weights")
		if err != nil {
			return 0, 0, fmt.Errorf("sparsity %s: %w", net.Name, err)
		}
		for _, v := range w.data {
			if v == 0 {
				zeros++
			}
		}
		total += int64(len(w.data))
	}
	return zeros, total, nil
}

// Schedule is the gradual pruning schedule of Zhu & Gupta ("To prune, or not to prune", 2017):
// sparsity rises from Initial at step Begin to Final at step End as
// s(t) = Final + (Initial − Final)·(1 − (t − Begin)/(End − Begin))³, updated every Every steps.
type Schedule struct {
	Initial, Final float64
	Begin, End     int
	Every          int // steps between updates; 0 or 1 means every step
}

// SparsityAt returns the target sparsity at a training step: 0 before Begin, Final from End on.
func (s Schedule) SparsityAt(step int) float64 {
	if step < s.Begin {
		return 0
	}
	if step >= s.End || s.End <= s.Begin {
		return s.Final
	}
	if e := max(1, s.Every); e > 1 {
		step = s.Begin + (step-s.Begin)/e*e
	}
	f := 1 - float64(step-s.Begin)/float64(s.End-s.Begin)
	return s.Final + (s.Initial-s.Final)*f*f*f
}
