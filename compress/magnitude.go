package compress

import (
	"fmt"
	"math"
	"sort"

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
// smallest in magnitude (ties broken by position), exactly ⌊Sparsity·n⌋ of the n weights considered —
// per layer, or of all layers together with Global.
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
	type ref struct {
		layer, index int
		mag          float64
	}
	prune := func(refs []ref) {
		sort.SliceStable(refs, func(i, j int) bool { return refs[i].mag < refs[j].mag })
		for _, r := range refs[:int(opt.Sparsity*float64(len(refs)))] {
			masks[ws[r.layer].path][r.index] = false
		}
	}
	var all []ref
	for li, w := range ws {
		refs := make([]ref, len(w.data))
		for i, v := range w.data {
			refs[i] = ref{li, i, math.Abs(float64(v))}
		}
		if opt.Global {
			all = append(all, refs...)
		} else {
			prune(refs)
		}
	}
	if opt.Global {
		prune(all)
	}
	return masks, nil
}

// Apply returns a copy of store with the masked-out weights set to zero.
func (m Masks) Apply(store *model.Store) (*model.Store, error) {
	var params []param
	for path, keep := range m {
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
