package tfjs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/export/ortnode"
	"github.com/posedistill/posedistill/internal/peers"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/nets"
)

// moveNetHeads are the single-person MoveNet graph's head convolutions (before their decoding)
// and the normalized image they start from.
var moveNetHeads = struct {
	from                             string
	heatmap, center, regress, offset string
}{
	from:    "StatefulPartitionedCall/sub_1",
	heatmap: "StatefulPartitionedCall/kpt_heatmap_0/conv2d_5/BiasAdd",
	center:  "StatefulPartitionedCall/center_0/conv2d_4/BiasAdd",
	regress: "StatefulPartitionedCall/kpt_regress_0/conv2d_6/BiasAdd",
	offset:  "StatefulPartitionedCall/kpt_offset_0/conv2d_7/BiasAdd",
}

// TestImportNetHeads finds the heads of the three MoveNet models and imports each model's
// convolutional part, at its input size.
func TestImportNetHeads(t *testing.T) {
	for _, tc := range agreementCases[:3] {
		path := moveNetFile(t, tc.model)
		m, w, err := ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		g, err := NewGraph(m, w)
		if err != nil {
			t.Fatal(err)
		}
		heads := g.Heads(moveNetHeads.from)
		var heatmap, center string
		for _, h := range heads {
			switch {
			case strings.Contains(h, "kpt_heatmap"):
				heatmap = h
			case strings.Contains(h, "center_0"):
				center = h
			}
		}
		want := 4
		if tc.model == modelstore.MoveNetMultiPose {
			want = 6 // and the boxes' offsets and scales
		}
		if len(heads) != want || heatmap == "" || center == "" {
			t.Fatalf("%s: heads %v", tc.model, heads)
		}
		part, err := g.ImportNet(tc.model, moveNetHeads.from, heads, heatmap, center, 17, tc.h, tc.w)
		if err != nil {
			t.Fatal(err)
		}
		params := 0
		for _, v := range part.Weights {
			params += len(v.Values)
		}
		same := 0
		for _, l := range part.Net.Layers {
			if l.Pad == nets.PadSame {
				same++
			}
		}
		flops, err := part.Net.FLOPs(tc.h, tc.w)
		if err != nil {
			t.Fatal(err)
		}
		if int64(params) != part.Net.Params() {
			t.Errorf("%s: %d imported weights, the description counts %d parameters", tc.model, params, part.Net.Params())
		}
		t.Logf("%s: %d layers (%d with TensorFlow's SAME padding), %.2fM parameters, %.2f GFLOPs at %d×%d",
			tc.model, len(part.Net.Layers), same, float64(params)/1e6, float64(flops)/1e9, tc.h, tc.w)
	}
	// A part that reaches an untranslatable operation is refused by name.
	_, g := loadGraph(t, modelstore.MoveNetLightning)
	if _, err := g.ImportNet("x", moveNetHeads.from, []string{"StatefulPartitionedCall/Sigmoid"}, "", "", 17, 192, 192); err == nil ||
		!strings.Contains(err.Error(), "(Sigmoid)") || !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v, want the Sigmoid node refused", err)
	}
}

// TestImportNet translates the convolutional part of each MoveNet model into a nets.Net and checks
// that the network description, built by package nets with the imported weights as variables,
// gives the graph's heads (keypoint heatmaps, centres, regressions, offsets; MultiPose's box
// offsets and scales) on the photo.
func TestImportNet(t *testing.T) {
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range agreementCases[:3] {
		path := moveNetFile(t, tc.model)
		m, w, err := ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		g, err := NewGraph(m, w)
		if err != nil {
			t.Fatal(err)
		}
		from := moveNetHeads.from
		heads := g.Heads(from)
		part, err := g.ImportNet(tc.model, from, heads, heads[0], "", 0, tc.h, tc.w)
		if err == nil {
			t.Fatal("a heatmap head of 0 joints: want an error")
		}
		heatmap := heatmapHead(heads)
		if part, err = g.ImportNet(tc.model, from, heads, heatmap, "", 17, tc.h, tc.w); err != nil {
			t.Fatal(err)
		}
		counts := map[nets.Op]int{}
		for _, l := range part.Net.Layers {
			counts[l.Op]++
		}
		t.Logf("%s: %d layers %v, %d variables", tc.model, len(part.Net.Layers), counts, len(part.Weights))
		want := graphValues(t, m, w, append([]string{from}, heads...), tc.h, tc.w)
		store := partStore(t, part)
		exec := headsExec(t, be, store, part, heads)
		got, err := exec.Call(tensors.FromFlatDataAndDimensions(want[0].Values, want[0].Shape...))
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range heads {
			v, err := tensors.CopyFlatData[float32](got[i])
			if err != nil {
				t.Fatal(err)
			}
			d := maxAbsDiff(v, want[i+1].Values)
			var scale float64
			for _, x := range want[i+1].Values {
				scale = max(scale, float64(x), -float64(x))
			}
			t.Logf("  %s %v: max |nets − graph| %.2g (max |graph| %.3g)", layerName(n), want[i+1].Shape, d, scale)
			if d > 1e-4*max(1, scale) {
				t.Errorf("%s %s: the imported net differs by %.2g", tc.model, n, d)
			}
		}
	}
}

// graphValues runs model m on the photo (h×w) and returns the values of the given nodes.
func graphValues(t *testing.T, m *Model, w map[string]*Tensor, nodes []string, h, wd int) []Output {
	t.Helper()
	m2 := *m
	m2.Outputs = nil
	for _, n := range nodes {
		m2.Outputs = append(m2.Outputs, TensorInfo{Name: n})
	}
	g2, err := NewGraph(&m2, w)
	if err != nil {
		t.Fatal(err)
	}
	img := photoInput(t, h, wd)
	want, err := goRunner(t, g2).Run(context.Background(), tensors.FromFlatDataAndDimensions(img, 1, h, wd, 3))
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// partStore returns a store holding the imported weights as variables.
func partStore(t testing.TB, part *NetPart) *model.Store {
	t.Helper()
	store, err := part.NewStore()
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// TestImportNetONNX round-trips MoveNet Lightning's convolutional part: import → nets.Net →
// ONNX export (package export) → ONNX Runtime, whose heatmap and centre heads (the net's heatmaps
// and mask heads) must match the original graph's.
func TestImportNetONNX(t *testing.T) {
	ort, err := ortnode.Find()
	if err != nil {
		t.Skip(err)
	}
	path := moveNetFile(t, modelstore.MoveNetLightning)
	m, w, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGraph(m, w)
	if err != nil {
		t.Fatal(err)
	}
	h := moveNetHeads
	part, err := g.ImportNet("movenet-lightning", h.from, []string{h.heatmap, h.center}, h.heatmap, h.center, 17, 192, 192)
	if err != nil {
		t.Fatal(err)
	}
	want := graphValues(t, m, w, []string{h.from, h.heatmap, h.center}, 192, 192)
	onnx, err := export.ONNX(part.Net, partStore(t, part), export.ONNXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "movenet.onnx")
	if err := os.WriteFile(file, onnx, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := ort.Run(context.Background(), file, want[0].Values, want[0].Shape, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"heatmaps", "mask"} {
		got, ok := res.Outputs[name]
		if !ok {
			t.Fatalf("ONNX Runtime outputs %v, no %q", res.Dims, name)
		}
		d := maxAbsDiff(got, want[i+1].Values)
		t.Logf("%s %v: max |onnxruntime − graph| %.2g", name, res.Dims[name], d)
		if d > 1e-3 {
			t.Errorf("%s: ONNX Runtime differs by %.2g", name, d)
		}
	}
}

// TestBuildWithImportedNet decodes the heads of the imported network with the rest of MoveNet's
// graph (Graph.BuildWith): the keypoints are the original model's, so a fine-tuned import can run
// through MoveNet's own decoding.
func TestBuildWithImportedNet(t *testing.T) {
	path := moveNetFile(t, modelstore.MoveNetLightning)
	m, w, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGraph(m, w)
	if err != nil {
		t.Fatal(err)
	}
	h := moveNetHeads
	heads := []string{h.heatmap, h.center, h.regress, h.offset}
	part, err := g.ImportNet("movenet-lightning", h.from, heads, h.heatmap, h.center, 17, 192, 192)
	if err != nil {
		t.Fatal(err)
	}
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	store := partStore(t, part)
	exec, err := model.NewExec(be, store, func(scope *model.Scope, img *graph.Node) []*graph.Node {
		// The original graph up to the normalized image, the imported net from there on.
		m2 := *m
		m2.Outputs = []TensorInfo{{Name: h.from}}
		g2, err := NewGraph(&m2, w)
		if err != nil {
			panic(err)
		}
		norm, err := g2.Build([]*graph.Node{img})
		if err != nil {
			panic(err)
		}
		outs := map[string]*graph.Node{}
		if _, err := nets.BuildWith(scope, part.Net, norm[0], false, nets.BuildOptions{
			Layer: func(_ *model.Scope, l *nets.Layer, _ []*graph.Node, build func() *graph.Node) *graph.Node {
				y := build()
				outs[l.Name] = y
				return y
			}}); err != nil {
			panic(err)
		}
		given := map[string]*graph.Node{}
		for _, n := range heads {
			given[n] = outs[part.Layer[n]]
		}
		res, err := g.BuildWith([]*graph.Node{img}, given)
		if err != nil {
			panic(err)
		}
		return res
	})
	if err != nil {
		t.Fatal(err)
	}
	img := photoInput(t, 192, 192)
	got, err := exec.Call(tensors.FromFlatDataAndDimensions(img, 1, 192, 192, 3))
	if err != nil {
		t.Fatal(err)
	}
	want, err := goRunner(t, g).Run(context.Background(), tensors.FromFlatDataAndDimensions(img, 1, 192, 192, 3))
	if err != nil {
		t.Fatal(err)
	}
	v, err := tensors.CopyFlatData[float32](got[0])
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(v, want[0].Values); d > 1e-6 {
		t.Fatalf("keypoints through the imported net differ by %.2g", d)
	}
}

// BenchmarkImportedNet times MoveNet Lightning's convolutional part (normalized image → the four
// heads) built from the graph and built by nets from the imported description, alternating in
// rounds; nets/graph is the median of the per-round ratios of the medians of 5 runs. Run with
// -benchtime=1x.
func BenchmarkImportedNet(b *testing.B) {
	path := moveNetFile(b, modelstore.MoveNetLightning)
	m, w, err := ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	g, err := NewGraph(m, w)
	if err != nil {
		b.Fatal(err)
	}
	h := moveNetHeads
	heads := []string{h.heatmap, h.center, h.regress, h.offset}
	part, err := g.ImportNet("movenet-lightning", h.from, heads, h.heatmap, h.center, 17, 192, 192)
	if err != nil {
		b.Fatal(err)
	}
	be, err := backend.New("go")
	if err != nil {
		b.Fatal(err)
	}
	// The graph's part: the normalized image as a float32 input, the heads as outputs.
	m2 := *m
	m2.Outputs = nil
	for _, n := range heads {
		m2.Outputs = append(m2.Outputs, TensorInfo{Name: n})
	}
	g2, err := NewGraph(&m2, w)
	if err != nil {
		b.Fatal(err)
	}
	graphExec, err := graph.NewExec(be, func(x *graph.Node) []*graph.Node {
		outs, err := g2.BuildWith([]*graph.Node{graph.Zeros(x.Graph(), shapes.Make(toGoMLX(Int32), 1, 192, 192, 3))}, map[string]*graph.Node{h.from: x})
		if err != nil {
			panic(err)
		}
		return outs
	})
	if err != nil {
		b.Fatal(err)
	}
	store := partStore(b, part)
	netExec, err := model.NewExec(be, store, func(scope *model.Scope, x *graph.Node) []*graph.Node {
		outs := map[string]*graph.Node{}
		if _, err := nets.BuildWith(scope, part.Net, x, false, nets.BuildOptions{
			Layer: func(_ *model.Scope, l *nets.Layer, _ []*graph.Node, build func() *graph.Node) *graph.Node {
				y := build()
				outs[l.Name] = y
				return y
			}}); err != nil {
			panic(err)
		}
		var res []*graph.Node
		for _, n := range heads {
			res = append(res, outs[part.Layer[n]])
		}
		return res
	})
	if err != nil {
		b.Fatal(err)
	}
	input := make([]float32, 192*192*3)
	for i := range input {
		input[i] = float32(i%255)/127.5 - 1
	}
	run := func(call func(...any) ([]*tensors.Tensor, error)) float64 {
		var ms []float64
		for range 5 {
			start := time.Now()
			outs, err := call(tensors.FromFlatDataAndDimensions(input, 1, 192, 192, 3))
			if err != nil {
				b.Fatal(err)
			}
			for _, o := range outs {
				o.FinalizeAll()
			}
			ms = append(ms, float64(time.Since(start).Microseconds())/1000)
		}
		return peers.Median(ms)
	}
	run(graphExec.Call)
	run(func(a ...any) ([]*tensors.Tensor, error) { return netExec.Call(a...) })
	for b.Loop() {
		var gms, nms, ratios []float64
		for range 5 {
			gm := run(graphExec.Call)
			nm := run(func(a ...any) ([]*tensors.Tensor, error) { return netExec.Call(a...) })
			gms, nms, ratios = append(gms, gm), append(nms, nm), append(ratios, nm/gm)
		}
		b.ReportMetric(peers.Median(gms), "graph-ms")
		b.ReportMetric(peers.Median(nms), "nets-ms")
		b.ReportMetric(peers.Median(ratios), "nets/graph")
	}
}

// headsExec compiles part's network returning the outputs of the graph nodes heads, in order.
func headsExec(t *testing.T, be compute.Backend, store *model.Store, part *NetPart, heads []string) *model.Exec {
	t.Helper()
	exec, err := model.NewExec(be, store, func(scope *model.Scope, images *graph.Node) []*graph.Node {
		outs := map[string]*graph.Node{}
		_, err := nets.BuildWith(scope, part.Net, images, false, nets.BuildOptions{
			Layer: func(_ *model.Scope, l *nets.Layer, _ []*graph.Node, build func() *graph.Node) *graph.Node {
				y := build()
				outs[l.Name] = y
				return y
			}})
		if err != nil {
			panic(err)
		}
		var res []*graph.Node
		for _, n := range heads {
			res = append(res, outs[part.Layer[n]])
		}
		return res
	})
	if err != nil {
		t.Fatal(err)
	}
	return exec
}

// heatmapHead returns MoveNet's keypoint heatmap among the graph's head nodes.
func heatmapHead(heads []string) string {
	for _, h := range heads {
		if strings.Contains(h, "kpt_heatmap") {
			return h
		}
	}
	return ""
}
