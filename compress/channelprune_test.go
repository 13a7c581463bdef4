package compress

import (
	"reflect"
	"slices"
	"testing"

	"github.com/posedistill/posedistill/nets"
)

// TestChannelPruneMatchesMask is the structured-pruning invariant: the pruned, rebuilt network
// computes what the original computes with the removed channels masked to zero, and it has fewer
// FLOPs and parameters.
func TestChannelPruneMatchesMask(t *testing.T) {
	backend := goBackend(t)
	for name, tc := range testNets(t) {
		store := randomStore(t, backend, tc.net, 1)
		images := randomImages(2, 1, tc.h, tc.w, 3)
		for _, opt := range []ChannelOptions{
			{Criterion: BNScale, Ratio: 0.3},
			{Criterion: L1Norm, Ratio: 0.5, Global: true},
			{Criterion: BNScale, Ratio: 0.6, Global: true, Multiple: 4},
		} {
			t.Run(name, func(t *testing.T) {
				plan, err := PlanChannels(tc.net, store, opt)
				if err != nil {
					t.Fatal(err)
				}
				if plan.Count() == 0 {
					t.Fatalf("%+v: nothing pruned", opt)
				}
				if opt.Multiple > 1 {
					for _, l := range tc.net.Layers {
						if r := plan.Removed[l.Name]; len(r) > 0 && (l.Out-len(r))%opt.Multiple != 0 {
							t.Errorf("%+v: %s keeps %d of %d channels", opt, l.Name, l.Out-len(r), l.Out)
						}
					}
				}
				small, smallStore, err := plan.Prune(store, "")
				if err != nil {
					t.Fatal(err)
				}
				masked, err := plan.Mask(store, "")
				if err != nil {
					t.Fatal(err)
				}
				got := predict(t, backend, small, smallStore, images)
				want := predict(t, backend, tc.net, masked, images)
				if d := relDiff(got, want); d > 1e-5 {
					t.Errorf("%+v: pruned net differs from the masked one by %.3g (relative)", opt, d)
				}
				if d := relDiff(predict(t, backend, tc.net, store, images), want); d == 0 {
					t.Errorf("%+v: masking changed nothing: the test would not see a wrong mask", opt)
				}
				f0, _ := tc.net.FLOPs(tc.h, tc.w)
				f1, err := small.FLOPs(tc.h, tc.w)
				if err != nil {
					t.Fatal(err)
				}
				if f1 >= f0 || small.Params() >= tc.net.Params() {
					t.Errorf("%+v: FLOPs %d → %d, params %d → %d: no drop", opt, f0, f1, tc.net.Params(), small.Params())
				}
				t.Logf("%+v: %d channels removed, FLOPs %d → %d (%.0f%%), params %d → %d",
					opt, plan.Count(), f0, f1, 100*float64(f1)/float64(f0), tc.net.Params(), small.Params())
			})
		}
	}
}

// TestChannelPlanAddConstraint checks that on a residual network the channels feeding each add are
// removed identically.
func TestChannelPlanAddConstraint(t *testing.T) {
	backend := goBackend(t)
	tc := testNets(t)["simplebaseline-18"]
	store := randomStore(t, backend, tc.net, 3)
	plan, err := PlanChannels(tc.net, store, ChannelOptions{Criterion: BNScale, Ratio: 0.4, Global: true})
	if err != nil {
		t.Fatal(err)
	}
	// Every add's inputs, traced back to their producing convs, lose the same channel positions.
	producer := func(name string) string {
		for {
			i := slices.IndexFunc(tc.net.Layers, func(l nets.Layer) bool { return l.Name == name })
			if i < 0 {
				return name
			}
			l := tc.net.Layers[i]
			if l.Op == nets.OpConv || l.Op == nets.OpDeconv {
				return name
			}
			name = l.Inputs[0]
		}
	}
	adds := 0
	for _, l := range tc.net.Layers {
		if l.Op != nets.OpAdd {
			continue
		}
		adds++
		first := plan.Removed[producer(l.Inputs[0])]
		for _, in := range l.Inputs[1:] {
			if got := plan.Removed[producer(in)]; !slices.Equal(got, first) {
				t.Errorf("add %s: %s loses %v, %s loses %v", l.Name, producer(l.Inputs[0]), first, producer(in), got)
			}
		}
	}
	if adds == 0 || plan.Count() == 0 {
		t.Fatalf("%d adds, %d channels removed: the test checks nothing", adds, plan.Count())
	}
}

func TestNewChannelPlanErrors(t *testing.T) {
	net := allOpsNet()
	for _, tc := range []struct {
		name    string
		removed map[string][]int
		ok      bool
	}{
		{"valid", map[string][]int{"down": {0, 3}, "deconv": {1}}, true},
		{"empty", nil, true},
		{"head", map[string][]int{"heatmaps": {0}}, false},
		{"grouped", map[string][]int{"grouped": {0}}, false},
		{"sigmoid", map[string][]int{"pw": {0}}, false},
		{"add partner", map[string][]int{"stem": {0}}, false}, // stem feeds an add with a grouped conv
		{"not a producer", map[string][]int{"pool": {0}}, false},
		{"input", map[string][]int{nets.Input: {0}}, false},
		{"out of range", map[string][]int{"down": {12}}, false},
		{"all", map[string][]int{"deconv2": {0, 1, 2, 3}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewChannelPlan(net, tc.removed)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok = %v", err, tc.ok)
			}
		})
	}
	// c1 is not locked itself, but it meets a grouped convolution's (locked) output in an add.
	partner := &nets.Net{Name: "partner", InputChannels: 3, InputMultiple: 1, Joints: 2, Layers: []nets.Layer{
		{Name: "c0", Op: nets.OpConv, Inputs: []string{nets.Input}, Out: 4, Kernel: 1, Bias: true},
		{Name: "g1", Op: nets.OpConv, Inputs: []string{"c0"}, Out: 4, Kernel: 1, Groups: 2, Bias: true},
		{Name: "c1", Op: nets.OpConv, Inputs: []string{nets.Input}, Out: 4, Kernel: 1, Bias: true},
		{Name: "sum", Op: nets.OpAdd, Inputs: []string{"c1", "g1"}},
		{Name: "heatmaps", Op: nets.OpConv, Inputs: []string{"sum"}, Out: 2, Kernel: 1, Bias: true},
	}, Heads: nets.Heads{Heatmaps: "heatmaps"}}
	if _, err := NewChannelPlan(partner, map[string][]int{"c1": {0}}); err == nil {
		t.Error("removing a channel tied by an add to a locked one: no error")
	}
	backend := goBackend(t)
	plan, err := PlanChannels(partner, randomStore(t, backend, partner, 1), ChannelOptions{Criterion: L1Norm, Ratio: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Count() != 0 {
		t.Errorf("partner net: %d channels removed, all are tied to locked ones", plan.Count())
	}
	store := randomStore(t, backend, net, 1)
	for _, opt := range []ChannelOptions{{Ratio: -0.1}, {Ratio: 1}, {Criterion: 7, Ratio: 0.1}, {Ratio: 0.1, Scope: "elsewhere"}} {
		if _, err := PlanChannels(net, store, opt); err == nil {
			t.Errorf("%+v: no error", opt)
		}
	}
}

// TestChannelPlanZero checks that a zero ratio keeps the network and its outputs unchanged.
func TestChannelPlanZero(t *testing.T) {
	backend := goBackend(t)
	tc := testNets(t)["movnect"]
	store := randomStore(t, backend, tc.net, 5)
	plan, err := PlanChannels(tc.net, store, ChannelOptions{Criterion: L1Norm})
	if err != nil {
		t.Fatal(err)
	}
	small, smallStore, err := plan.Prune(store, "")
	if err != nil {
		t.Fatal(err)
	}
	if plan.Count() != 0 || !reflect.DeepEqual(small.Layers, tc.net.Layers) {
		t.Fatalf("ratio 0 removed %d channels", plan.Count())
	}
	images := randomImages(1, 1, tc.h, tc.w, 3)
	if d := relDiff(predict(t, backend, small, smallStore, images), predict(t, backend, tc.net, store, images)); d != 0 {
		t.Fatalf("outputs changed by %g", d)
	}
}
