package compress

import (
	"fmt"

	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/nets/layers"
)

// channelGraph traces every channel of every layer's output back to the layer that creates it.
//
// A "space" is the output channels of a layer that computes new channels (a conv that is not
// depthwise, a deconv) or of the network input. An atom is one channel of one space. Layers that do
// not mix channels (depthwise conv, max pooling, upsampling) pass their input's atoms through, concat
// concatenates its inputs' atom lists, and add requires the atoms at the same position of its inputs
// to be removed together: it unites them. Pruning then removes whole groups of united atoms.
type channelGraph struct {
	net        *nets.Net
	spaceOf    map[string]int // producing layer (or nets.Input) → space index
	spaceLayer []string       // space index → layer name
	offset     []int          // space index → id of its first atom
	atomSpace  []int          // atom id → space
	atomIndex  []int          // atom id → channel index in its space
	atoms      map[string][]int
	parent     []int // union-find over atoms
	locked     []bool
}

// isDepthwise reports whether l is a depthwise convolution (one filter per channel) of in channels.
func isDepthwise(l *nets.Layer, in int) bool {
	return l.Op == nets.OpConv && l.GroupCount() == in && l.Out == in && in > 1
}

// newChannelGraph traces the channels of a validated net.
func newChannelGraph(net *nets.Net) (*channelGraph, error) {
	m := max(1, net.InputMultiple)
	if _, err := net.Shapes(8*m, 8*m); err != nil {
		return nil, err
	}
	g := &channelGraph{net: net, spaceOf: map[string]int{}, atoms: map[string][]int{}}
	g.atoms[nets.Input] = g.newSpace(nets.Input, net.InputChannels)
	g.lock(g.atoms[nets.Input])
	for i := range net.Layers {
		l := &net.Layers[i]
		in := g.atoms[l.Inputs[0]]
		var out []int
		switch l.Op {
		case nets.OpConv, nets.OpDeconv:
			switch {
			case isDepthwise(l, len(in)):
				out = in
			default:
				out = g.newSpace(l.Name, l.Out)
				if l.Op == nets.OpConv && l.GroupCount() > 1 {
					// A grouped convolution's channels cannot be removed without breaking its groups.
					g.lock(in)
					g.lock(out)
				}
			}
		case nets.OpMaxPool, nets.OpUpsample:
			out = in
		case nets.OpAdd:
			out = in
			for _, name := range l.Inputs[1:] {
				for j, a := range g.atoms[name] {
					g.union(in[j], a)
				}
			}
		case nets.OpConcat:
			for _, name := range l.Inputs {
				out = append(out, g.atoms[name]...)
			}
		case nets.OpPad:
			// The zero channels appended are a space of their own; pruning keeps the padding's
			// channels as they are (a removed input channel would shift the zeros' position).
			out = append(append([]int(nil), in...), g.newSpace(l.Name, l.Out-len(in))...)
			g.lock(out)
		default:
			return nil, fmt.Errorf("layer %s: unknown op %q", l.Name, string(l.Op))
		}
		if l.Act == layers.Sigmoid {
			g.lock(out) // sigmoid(0) ≠ 0: a masked channel would not be a removed one
		}
		g.atoms[l.Name] = out
	}
	for _, head := range net.Heads.Layers() {
		g.lock(g.atoms[head])
	}
	return g, nil
}

// newSpace allocates the atoms of a new space and returns them.
func (g *channelGraph) newSpace(layer string, n int) []int {
	s := len(g.spaceLayer)
	g.spaceOf[layer] = s
	g.spaceLayer = append(g.spaceLayer, layer)
	g.offset = append(g.offset, len(g.atomSpace))
	ids := make([]int, n)
	for j := range n {
		ids[j] = len(g.atomSpace)
		g.atomSpace = append(g.atomSpace, s)
		g.atomIndex = append(g.atomIndex, j)
		g.parent = append(g.parent, ids[j])
		g.locked = append(g.locked, false)
	}
	return ids
}

// spaceSize returns the number of channels of space s.
func (g *channelGraph) spaceSize(s int) int {
	if s+1 < len(g.offset) {
		return g.offset[s+1] - g.offset[s]
	}
	return len(g.atomSpace) - g.offset[s]
}

func (g *channelGraph) find(a int) int {
	for g.parent[a] != a {
		g.parent[a] = g.parent[g.parent[a]]
		a = g.parent[a]
	}
	return a
}

func (g *channelGraph) union(a, b int) {
	ra, rb := g.find(a), g.find(b)
	if ra != rb {
		g.parent[rb] = ra
	}
}

func (g *channelGraph) lock(ids []int) {
	for _, a := range ids {
		g.locked[a] = true
	}
}

// groups returns the prunable groups of united atoms (none locked), each sorted by atom id, in order
// of their first atom.
func (g *channelGraph) groups() [][]int {
	lockedRoot := g.lockedRoots()
	index := map[int]int{}
	var out [][]int
	for a := range g.atomSpace {
		r := g.find(a)
		if lockedRoot[r] {
			continue
		}
		i, ok := index[r]
		if !ok {
			i = len(out)
			index[r] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], a)
	}
	return out
}

// lockedRoots returns the union-find roots of the groups holding a locked atom: a channel is locked
// when any channel it must be removed with is.
func (g *channelGraph) lockedRoots() map[int]bool {
	roots := map[int]bool{}
	for a, l := range g.locked {
		if l {
			roots[g.find(a)] = true
		}
	}
	return roots
}

// kept returns the positions of the atoms of layer's output that are not removed.
func (g *channelGraph) kept(layer string, removed []bool) []int {
	var keep []int
	for j, a := range g.atoms[layer] {
		if !removed[a] {
			keep = append(keep, j)
		}
	}
	return keep
}
