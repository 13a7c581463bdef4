package compress

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/nets/layers"
)

// Criterion ranks output channels for structured pruning: the least important go first.
type Criterion int

const (
	// BNScale ranks a channel by |γ|, its batch-norm scale (Liu et al., "network slimming"); layers
	// without batch norm are not pruned.
	BNScale Criterion = iota
	// L1Norm ranks a channel by the L1 norm of its filter (Li et al., "Pruning filters for efficient
	// ConvNets"), divided by the mean norm of its layer so that layers compare.
	L1Norm
)

// ChannelOptions configures PlanChannels.
type ChannelOptions struct {
	// Scope is the store scope the network was built under (empty: the root).
	Scope     string
	Criterion Criterion
	// Ratio is the fraction of the prunable channel groups to remove, in [0, 1).
	Ratio float64
	// Global ranks all groups together; otherwise the groups of each set of layers tied by adds are
	// ranked and pruned by Ratio separately (layer-wise for networks without residual adds).
	Global bool
	// MinChannels is the fewest output channels a layer keeps (at least 1).
	MinChannels int
	// Multiple, when above 1, restores removed groups (the most important first) until every
	// layer keeps a multiple of it of its channels, or has nothing left removed: inference engines'
	// vectorized kernels work on blocks of channels (ONNX Runtime ran a MoVNect pruned to arbitrary
	// widths slower than the original; see BenchmarkCompressedMoVNect).
	Multiple int
}

// ChannelPlan is a set of output channels to remove, closed under the network's constraints: the
// channels feeding the same position of an add are removed together, a depthwise convolution loses
// the channels its input loses, concat offsets follow, and the channels of heads, of the input, of
// grouped (non-depthwise) convolutions and of sigmoid outputs are never removed.
type ChannelPlan struct {
	// Removed maps each layer that creates channels (conv or deconv) to the indices of its output
	// channels the plan removes, ascending.
	Removed map[string][]int
	net     *nets.Net
	g       *channelGraph
	removed []bool // by atom
}

// NewChannelPlan checks that removing the given output channels (by producing conv or deconv layer)
// respects the network's constraints and returns the plan; removing one channel of an add's input
// requires removing the matching channels of its other inputs, which must then be listed too.
func NewChannelPlan(net *nets.Net, removed map[string][]int) (*ChannelPlan, error) {
	g, err := newChannelGraph(net)
	if err != nil {
		return nil, fmt.Errorf("channel plan: %w", err)
	}
	r := make([]bool, len(g.atomSpace))
	lockedRoot := g.lockedRoots()
	for layer, idx := range removed {
		s, ok := g.spaceOf[layer]
		if !ok || layer == nets.Input {
			return nil, fmt.Errorf("channel plan %s: layer %q does not create channels", net.Name, layer)
		}
		size := g.spaceSize(s)
		for _, j := range idx {
			if j < 0 || j >= size {
				return nil, fmt.Errorf("channel plan %s: layer %s has no channel %d", net.Name, layer, j)
			}
			a := g.offset[s] + j
			if lockedRoot[g.find(a)] {
				return nil, fmt.Errorf("channel plan %s: channel %d of %s cannot be removed", net.Name, j, layer)
			}
			r[a] = true
		}
	}
	p := &ChannelPlan{net: net, g: g, removed: r}
	for _, grp := range g.groups() {
		for _, a := range grp[1:] {
			if r[a] != r[grp[0]] {
				x, y := grp[0], a
				return nil, fmt.Errorf("channel plan %s: channel %d of %s and channel %d of %s meet in an add and must be removed together",
					net.Name, g.atomIndex[x], g.spaceLayer[g.atomSpace[x]], g.atomIndex[y], g.spaceLayer[g.atomSpace[y]])
			}
		}
	}
	for s, layer := range g.spaceLayer {
		kept := 0
		for a := g.offset[s]; a < g.offset[s]+g.spaceSize(s); a++ {
			if !r[a] {
				kept++
			}
		}
		if kept == 0 {
			return nil, fmt.Errorf("channel plan %s: all channels of %s removed", net.Name, layer)
		}
	}
	p.fillRemoved()
	return p, nil
}

// fillRemoved sets Removed from the atom flags.
func (p *ChannelPlan) fillRemoved() {
	p.Removed = map[string][]int{}
	for a, r := range p.removed {
		if r {
			layer := p.g.spaceLayer[p.g.atomSpace[a]]
			p.Removed[layer] = append(p.Removed[layer], p.g.atomIndex[a])
		}
	}
}

// Count returns the number of output channels the plan removes, summed over layers.
func (p *ChannelPlan) Count() int {
	n := 0
	for _, idx := range p.Removed {
		n += len(idx)
	}
	return n
}

// PlanChannels chooses the channels to remove from net by opt's criterion, from the weights in store.
func PlanChannels(net *nets.Net, store *model.Store, opt ChannelOptions) (*ChannelPlan, error) {
	if opt.Ratio < 0 || opt.Ratio >= 1 || math.IsNaN(opt.Ratio) {
		return nil, fmt.Errorf("plan channels %s: ratio %g outside [0, 1)", net.Name, opt.Ratio)
	}
	if opt.Criterion != BNScale && opt.Criterion != L1Norm {
		return nil, fmt.Errorf("plan channels %s: unknown criterion %d", net.Name, opt.Criterion)
	}
	g, err := newChannelGraph(net)
	if err != nil {
		return nil, fmt.Errorf("plan channels: %w", err)
	}
	score, err := atomScores(net, store, opt, g)
	if err != nil {
		return nil, fmt.Errorf("plan channels %s: %w", net.Name, err)
	}
	// Groups whose atoms all have a score are candidates; a component is the set of spaces they tie.
	spaceParent := make([]int, len(g.spaceLayer))
	for i := range spaceParent {
		spaceParent[i] = i
	}
	findSpace := func(s int) int {
		for spaceParent[s] != s {
			s = spaceParent[s]
		}
		return s
	}
	components := map[int][]candidate{}
	for _, grp := range g.groups() {
		sum, ok := 0.0, true
		for _, a := range grp {
			if math.IsNaN(score[a]) {
				ok = false
				break
			}
			sum += score[a]
		}
		if !ok {
			continue
		}
		for _, a := range grp[1:] {
			ra, rb := findSpace(g.atomSpace[grp[0]]), findSpace(g.atomSpace[a])
			spaceParent[rb] = ra
		}
		components[-1] = append(components[-1], candidate{grp, sum / float64(len(grp))})
	}
	if !opt.Global {
		all := components[-1]
		components = map[int][]candidate{}
		for _, c := range all {
			k := findSpace(g.atomSpace[c.atoms[0]])
			components[k] = append(components[k], c)
		}
	}
	remaining := make([]int, len(g.spaceLayer))
	for a := range g.atomSpace {
		remaining[g.atomSpace[a]]++
	}
	minCh := max(1, opt.MinChannels)
	removed := make([]bool, len(g.atomSpace))
	keys := make([]int, 0, len(components))
	for k := range components {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		list := components[k]
		sort.SliceStable(list, func(i, j int) bool { return list[i].score < list[j].score })
		target := int(opt.Ratio * float64(len(list)))
		for _, c := range list {
			if target == 0 {
				break
			}
			if !removeGroup(g, c, remaining, removed, func(int) int { return minCh }) {
				continue
			}
			target--
		}
	}
	if opt.Multiple > 1 {
		var chosen []candidate
		for _, k := range keys {
			for _, c := range components[k] {
				if removed[c.atoms[0]] {
					chosen = append(chosen, c)
				}
			}
		}
		roundToMultiple(g, removed, chosen, opt.Multiple)
	}
	p := &ChannelPlan{net: net, g: g, removed: removed}
	p.fillRemoved()
	return p, nil
}

// removeGroup removes candidate c's channels when every space it touches keeps at least floor(space)
// channels after it, updating remaining (channels left per space) and removed; it reports whether
// it did.
func removeGroup(g *channelGraph, c candidate, remaining []int, removed []bool, floor func(space int) int) bool {
	need := map[int]int{}
	for _, a := range c.atoms {
		need[g.atomSpace[a]]++
	}
	for s, n := range need {
		if remaining[s]-n < floor(s) {
			return false
		}
	}
	for s, n := range need {
		remaining[s] -= n
	}
	for _, a := range c.atoms {
		removed[a] = true
	}
	return true
}

// roundToMultiple restores removed groups, the highest-scored first, until every space keeps a
// multiple of m channels or has no removed group left to restore.
func roundToMultiple(g *channelGraph, removed []bool, chosen []candidate, m int) {
	sort.SliceStable(chosen, func(i, j int) bool { return chosen[i].score > chosen[j].score })
	kept := make([]int, len(g.spaceLayer))
	for a := range g.atomSpace {
		if !removed[a] {
			kept[g.atomSpace[a]]++
		}
	}
	for changed := true; changed; {
		changed = false
		for s := range g.spaceLayer {
			for kept[s]%m != 0 {
				i := slices.IndexFunc(chosen, func(c candidate) bool {
					return removed[c.atoms[0]] && slices.ContainsFunc(c.atoms, func(a int) bool { return g.atomSpace[a] == s })
				})
				if i < 0 {
					break
				}
				for _, a := range chosen[i].atoms {
					removed[a] = false
					kept[g.atomSpace[a]]++
				}
				changed = true
			}
		}
	}
}

// candidate is a group of united atoms and its score.
type candidate struct {
	atoms []int
	score float64
}

// atomScores returns every atom's importance (NaN when its layer cannot be scored).
func atomScores(net *nets.Net, store *model.Store, opt ChannelOptions, g *channelGraph) ([]float64, error) {
	score := make([]float64, len(g.atomSpace))
	for i := range score {
		score[i] = math.NaN()
	}
	for i := range net.Layers {
		l := &net.Layers[i]
		s, ok := g.spaceOf[l.Name]
		if !ok || (l.Op != nets.OpConv && l.Op != nets.OpDeconv) {
			continue // a channel padding's zeros have no weights to rank (and are locked)
		}
		base := g.offset[s]
		switch opt.Criterion {
		case BNScale:
			if !l.BN {
				continue
			}
			p, err := readParam(store, opt.Scope, l.Name, layers.BNScope+"/scale")
			if err != nil {
				return nil, err
			}
			if len(p.data) != l.Out {
				return nil, fmt.Errorf("variable %s: %d values for %d channels", p.path, len(p.data), l.Out)
			}
			for j, v := range p.data {
				score[base+j] = math.Abs(float64(v))
			}
		case L1Norm:
			p, err := readParam(store, opt.Scope, l.Name, "weights")
			if err != nil {
				return nil, err
			}
			if len(p.dims) != 4 || p.dims[3] != l.Out {
				return nil, fmt.Errorf("variable %s: shape %v for %d output channels", p.path, p.dims, l.Out)
			}
			norms := make([]float64, l.Out)
			for k, v := range p.data {
				norms[k%l.Out] += math.Abs(float64(v))
			}
			mean := 0.0
			for _, v := range norms {
				mean += v / float64(l.Out)
			}
			for j, v := range norms {
				score[base+j] = v / max(mean, 1e-30)
			}
		}
	}
	return score, nil
}

// Prune returns the smaller network and a store with its weights: every conv and deconv loses the
// removed output channels (weights, biases, batch norm) and the input channels that are gone.
// Variables of other layers, and other store contents, are copied.
func (p *ChannelPlan) Prune(store *model.Store, scope string) (*nets.Net, *model.Store, error) {
	out := *p.net
	out.Layers = slices.Clone(p.net.Layers)
	var params []param
	for i := range out.Layers {
		l := &out.Layers[i]
		if l.Op != nets.OpConv && l.Op != nets.OpDeconv {
			continue
		}
		in := len(p.g.atoms[l.Inputs[0]])
		keepOut := p.g.kept(l.Name, p.removed)
		keepIn := p.g.kept(l.Inputs[0], p.removed)
		dw := isDepthwise(l, in)
		if len(keepOut) == l.Out && (dw || len(keepIn) == in) {
			continue
		}
		w, err := readParam(store, scope, l.Name, "weights")
		if err != nil {
			return nil, nil, fmt.Errorf("prune %s: %w", p.net.Name, err)
		}
		if !dw && l.GroupCount() == 1 {
			w = sliceAxis(w, 2, keepIn)
		}
		params = append(params, sliceAxis(w, 3, keepOut))
		perChannel, err := channelParams(store, scope, l)
		if err != nil {
			return nil, nil, fmt.Errorf("prune %s: %w", p.net.Name, err)
		}
		for _, q := range perChannel {
			params = append(params, sliceAxis(q, 0, keepOut))
		}
		l.Out = len(keepOut)
		if dw {
			l.Groups = len(keepOut)
		}
	}
	ns, err := cloneStore(store)
	if err != nil {
		return nil, nil, fmt.Errorf("prune %s: %w", p.net.Name, err)
	}
	for _, q := range params {
		if err := setParam(ns, q); err != nil {
			return nil, nil, fmt.Errorf("prune %s: %w", p.net.Name, err)
		}
	}
	m := max(1, out.InputMultiple)
	if _, err := out.Shapes(8*m, 8*m); err != nil {
		return nil, nil, fmt.Errorf("prune %s: internal error: %w", p.net.Name, err)
	}
	return &out, ns, nil
}

// channelParams reads a conv or deconv layer's per-output-channel variables: biases and batch norm.
func channelParams(store *model.Store, scope string, l *nets.Layer) ([]param, error) {
	var names []string
	if l.Bias {
		names = append(names, "biases")
	}
	if l.BN {
		for _, n := range []string{"scale", "offset", "mean", "variance"} {
			names = append(names, layers.BNScope+"/"+n)
		}
	}
	var out []param
	for _, n := range names {
		q, err := readParam(store, scope, l.Name, n)
		if err != nil {
			return nil, err
		}
		if len(q.dims) != 1 || q.dims[0] != l.Out {
			return nil, fmt.Errorf("variable %s: shape %v, want [%d]", q.path, q.dims, l.Out)
		}
		out = append(out, q)
	}
	return out, nil
}

// Mask returns a copy of store in which the removed channels of the original network are forced to
// zero: their filters, biases and batch-norm offsets and means are zeroed in the layer that creates
// them and in every depthwise convolution they pass through, so that in inference mode each such
// channel outputs exactly 0 (the activations kept are ReLU, ReLU6 and linear). The network with the
// masked store computes what the pruned network computes.
func (p *ChannelPlan) Mask(store *model.Store, scope string) (*model.Store, error) {
	var params []param
	for i := range p.net.Layers {
		l := &p.net.Layers[i]
		if l.Op != nets.OpConv && l.Op != nets.OpDeconv {
			continue
		}
		var zero []int
		for j, a := range p.g.atoms[l.Name] {
			if p.removed[a] {
				zero = append(zero, j)
			}
		}
		if len(zero) == 0 {
			continue
		}
		w, err := readParam(store, scope, l.Name, "weights")
		if err != nil {
			return nil, fmt.Errorf("mask %s: %w", p.net.Name, err)
		}
		out := w.dims[len(w.dims)-1]
		masked := make([]bool, out)
		for _, j := range zero {
			masked[j] = true
		}
		for k := range w.data {
			if masked[k%out] {
				w.data[k] = 0
			}
		}
		params = append(params, w)
		perChannel, err := channelParams(store, scope, l)
		if err != nil {
			return nil, fmt.Errorf("mask %s: %w", p.net.Name, err)
		}
		for _, q := range perChannel {
			if strings.HasSuffix(q.path, "/scale") || strings.HasSuffix(q.path, "/variance") {
				continue
			}
			for _, j := range zero {
				q.data[j] = 0
			}
			params = append(params, q)
		}
	}
	ns, err := cloneStore(store)
	if err != nil {
		return nil, fmt.Errorf("mask %s: %w", p.net.Name, err)
	}
	for _, q := range params {
		if err := setParam(ns, q); err != nil {
			return nil, fmt.Errorf("mask %s: %w", p.net.Name, err)
		}
	}
	return ns, nil
}
