package compress

import (
	"strings"
	"testing"

	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/nets/layers"
)

// residualNet has two 1×1 convolutions tied by an add and a third that reads their sum.
func residualNet() *nets.Net {
	return &nets.Net{
		Name: "residual", InputChannels: 3, InputMultiple: 1, Joints: 2,
		Layers: []nets.Layer{
			{Name: "a", Op: nets.OpConv, Inputs: []string{nets.Input}, Out: 8, Kernel: 1, Bias: true, Act: layers.ReLU},
			{Name: "b", Op: nets.OpConv, Inputs: []string{"a"}, Out: 8, Kernel: 1, Bias: true},
			{Name: "sum", Op: nets.OpAdd, Inputs: []string{"a", "b"}},
			{Name: "c", Op: nets.OpConv, Inputs: []string{"sum"}, Out: 6, Kernel: 1, BN: true, Act: layers.ReLU},
			{Name: "heatmaps", Op: nets.OpConv, Inputs: []string{"c"}, Out: 2, Kernel: 1, Bias: true},
		},
		Heads: nets.Heads{Heatmaps: "heatmaps"},
	}
}

// PlanWidths meets the widths asked for, removing tied channels together and the weakest first,
// and refuses widths it cannot meet, naming the layer.
func TestPlanWidths(t *testing.T) {
	backend := goBackend(t)
	net := residualNet()
	store := randomStore(t, backend, net, 4)
	plan, err := PlanWidths(net, store, map[string]int{"a": 5, "b": 5, "c": 2}, ChannelOptions{Criterion: L1Norm})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Removed["a"]) != 3 || len(plan.Removed["c"]) != 4 {
		t.Fatalf("removed %v, want 3 channels of a and b, 4 of c", plan.Removed)
	}
	for i, j := range plan.Removed["a"] {
		if plan.Removed["b"][i] != j {
			t.Errorf("a loses %v, b loses %v: tied channels must go together", plan.Removed["a"], plan.Removed["b"])
		}
	}
	// c keeps its 2 channels of largest L1 norm (c is its own group).
	score, err := atomScores(net, store, ChannelOptions{Criterion: L1Norm}, plan.g)
	if err != nil {
		t.Fatal(err)
	}
	base := plan.g.offset[plan.g.spaceOf["c"]]
	removed := map[int]bool{}
	for _, j := range plan.Removed["c"] {
		removed[j] = true
	}
	for j := range 6 {
		for k := range 6 {
			if removed[j] && !removed[k] && score[base+j] > score[base+k] {
				t.Errorf("c: channel %d (score %.3f) removed, channel %d (score %.3f) kept", j, score[base+j], k, score[base+k])
			}
		}
	}
	pruned, _, err := plan.Prune(store, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range pruned.Layers {
		if want := map[string]int{"a": 5, "b": 5, "c": 2, "heatmaps": 2}[l.Name]; l.Out != want && l.Op == nets.OpConv {
			t.Errorf("pruned layer %s has %d channels, want %d", l.Name, l.Out, want)
		}
	}
	for _, tc := range []struct {
		widths map[string]int
		want   string
	}{
		{map[string]int{"a": 5, "b": 6}, "widths cannot be met"},
		{map[string]int{"a": 5}, "widths cannot be met"},
		{map[string]int{"heatmaps": 1}, "heatmaps keeps 2, not 1"},
		{map[string]int{"c": 7}, "cannot keep 7"},
		{map[string]int{"sum": 4}, `layer "sum" does not create channels`},
	} {
		if _, err := PlanWidths(net, store, tc.widths, ChannelOptions{Criterion: L1Norm}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("widths %v: error %v, want %q", tc.widths, err, tc.want)
		}
	}
}
