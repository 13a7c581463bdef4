package nets

import (
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestBuildWithLayerHook builds the all-ops network with BuildOptions.Layer hooks: a pass-through
// hook sees every layer once, in order, and gives Build's outputs bit for bit; a hook that doubles
// the heatmaps head doubles the heatmaps and leaves the other heads alone; a hook that returns no
// node or panics makes BuildWith fail naming the layer.
func TestBuildWithLayerHook(t *testing.T) {
	backend, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	net := allOpsNet(t)
	images := randomBatch(3, 2, 32, 32, 3)
	// run builds net (with opts when hook is set) on images and returns the heads' values.
	run := func(t *testing.T, hook bool, opts BuildOptions) ([][]float32, error) {
		t.Helper()
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, int64(11))
		var buildErr error
		exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *graph.Node) []*graph.Node {
			var out Outputs
			if hook {
				out, buildErr = BuildWith(scope, net, x, false, opts)
			} else {
				out, buildErr = Build(scope, net, x, false)
			}
			if buildErr != nil {
				return []*graph.Node{x}
			}
			return out.List()
		})
		if err != nil {
			t.Fatal(err)
		}
		defer exec.Finalize()
		outs, err := exec.Call(images)
		if buildErr != nil {
			return nil, buildErr
		}
		if err != nil {
			t.Fatal(err)
		}
		var vals [][]float32
		for _, o := range outs {
			vals = append(vals, tensors.MustCopyFlatData[float32](o))
		}
		return vals, nil
	}
	want, err := run(t, false, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(want[0], func(v float32) bool { return v != 0 }) {
		t.Fatal("Build's heatmaps are all zero: scaling them proves nothing")
	}
	var layerNames []string
	for _, l := range net.Layers {
		layerNames = append(layerNames, l.Name)
	}
	var seen []string
	tests := []struct {
		name    string
		layer   func(scope *model.Scope, l *Layer, ins []*graph.Node, build func() *graph.Node) *graph.Node
		scale   []float32 // expected factor of each head relative to Build's
		wantErr string
	}{
		{name: "zero options", scale: []float32{1, 1, 1}},
		{name: "pass-through", scale: []float32{1, 1, 1},
			layer: func(_ *model.Scope, l *Layer, _ []*graph.Node, build func() *graph.Node) *graph.Node {
				seen = append(seen, l.Name)
				return build()
			}},
		{name: "double heatmaps", scale: []float32{2, 1, 1},
			layer: func(_ *model.Scope, l *Layer, _ []*graph.Node, build func() *graph.Node) *graph.Node {
				y := build()
				if l.Name == net.Heads.Heatmaps {
					y = graph.MulScalar(y, 2)
				}
				return y
			}},
		{name: "no node", wantErr: "layer stem: the Layer option returned no node",
			layer: func(_ *model.Scope, l *Layer, _ []*graph.Node, build func() *graph.Node) *graph.Node {
				return nil
			}},
		{name: "panic", wantErr: "build all-ops: hook failed on sum",
			layer: func(_ *model.Scope, l *Layer, _ []*graph.Node, build func() *graph.Node) *graph.Node {
				if l.Name == "sum" {
					panic("hook failed on sum")
				}
				return build()
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			got, err := run(t, true, BuildOptions{Layer: tc.layer})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "pass-through" && !slices.Equal(seen, layerNames) {
				t.Errorf("hook saw layers %v, want %v", seen, layerNames)
			}
			if len(got) != len(want) {
				t.Fatalf("%d heads, Build gives %d", len(got), len(want))
			}
			for h := range want {
				for i := range want[h] {
					if got[h][i] != tc.scale[h]*want[h][i] {
						t.Fatalf("head %d value %d: %g, want %g × Build's %g", h, i, got[h][i], tc.scale[h], want[h][i])
					}
				}
			}
		})
	}
}
