package compress

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
)

// PlanWidths chooses the channels to remove from net so that each layer named in widths keeps
// exactly that many output channels, the least important first by opt's criterion (opt.Ratio,
// Global, MinChannels and Multiple are not used). Layers tied by adds share their channels: they
// must be given the same width, and a channel group is ranked by the mean score of its members.
// Layers not named keep their channels, except the input channels that named layers lose.
func PlanWidths(net *nets.Net, store *model.Store, widths map[string]int, opt ChannelOptions) (*ChannelPlan, error) {
	g, err := newChannelGraph(net)
	if err != nil {
		return nil, fmt.Errorf("plan widths: %w", err)
	}
	score, err := atomScores(net, store, opt, g)
	if err != nil {
		return nil, fmt.Errorf("plan widths %s: %w", net.Name, err)
	}
	target := make(map[int]int, len(widths)) // space → channels to keep
	for layer, w := range widths {
		s, ok := g.spaceOf[layer]
		if !ok || layer == nets.Input {
			return nil, fmt.Errorf("plan widths %s: layer %q does not create channels", net.Name, layer)
		}
		if w < 1 || w > g.spaceSize(s) {
			return nil, fmt.Errorf("plan widths %s: layer %s has %d channels, cannot keep %d", net.Name, layer, g.spaceSize(s), w)
		}
		target[s] = w
	}
	// Rank every prunable group that lies in named spaces only.
	var list []candidate
	for _, grp := range g.groups() {
		sum, ok := 0.0, true
		for _, a := range grp {
			if _, named := target[g.atomSpace[a]]; !named || math.IsNaN(score[a]) {
				ok = false
				break
			}
			sum += score[a]
		}
		if ok {
			list = append(list, candidate{grp, sum / float64(len(grp))})
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].score < list[j].score })
	remaining := make([]int, len(g.spaceLayer))
	for a := range g.atomSpace {
		remaining[g.atomSpace[a]]++
	}
	removed := make([]bool, len(g.atomSpace))
	for _, c := range list {
		removeGroup(g, c, remaining, removed, func(s int) int { return target[s] })
	}
	var short []string
	for s, w := range target {
		if remaining[s] != w {
			short = append(short, fmt.Sprintf("%s keeps %d, not %d", g.spaceLayer[s], remaining[s], w))
		}
	}
	if len(short) > 0 {
		slices.Sort(short)
		return nil, fmt.Errorf("plan widths %s: widths cannot be met (layers tied by adds need equal widths; heads and sigmoid outputs keep theirs): %v", net.Name, short)
	}
	p := &ChannelPlan{net: net, g: g, removed: removed}
	p.fillRemoved()
	return p, nil
}

// Kept returns the positions, in the original network, of the output channels of layer (any
// layer, a depthwise convolution or an add included) that the plan keeps.
func (p *ChannelPlan) Kept(layer string) []int { return p.g.kept(layer, p.removed) }
