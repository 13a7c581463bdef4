package tfjs

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/internal/half"
)

// tinyModel returns a small graph model and its weight shard: a 3×3 SAME convolution with bias
// and ReLU6 of a 1×4×4×2 int32 image, whose output is reshaped by a shape computed from the
// input's (Shape, StridedSlice, Pack), a float16-quantized kernel and a uint8-quantized bias.
func tinyModel() (modelJSON, shard []byte) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	nodes := []map[string]any{
		{"name": "x", "op": "Placeholder", "attr": map[string]any{"dtype": map[string]any{"type": "DT_INT32"},
			"shape": map[string]any{"shape": map[string]any{"dim": []any{map[string]any{"size": "1"}, map[string]any{"size": "-1"}, map[string]any{"size": "-1"}, map[string]any{"size": "2"}}}}}},
		{"name": "k", "op": "Const", "attr": map[string]any{"dtype": map[string]any{"type": "DT_FLOAT"}}},
		{"name": "bias", "op": "Const", "attr": map[string]any{"dtype": map[string]any{"type": "DT_FLOAT"}}},
		{"name": "begin", "op": "Const"}, {"name": "end", "op": "Const"}, {"name": "step", "op": "Const"}, {"name": "minus1", "op": "Const"},
		{"name": "xf", "op": "Cast", "input": []string{"x"}, "attr": map[string]any{"DstT": map[string]any{"type": "DT_FLOAT"}}},
		{"name": "conv", "op": "_FusedConv2D", "input": []string{"xf", "k", "bias"}, "attr": map[string]any{
			"strides": map[string]any{"list": map[string]any{"i": []string{"1", "1", "1", "1"}}},
			"padding": map[string]any{"s": enc("SAME")}, "data_format": map[string]any{"s": enc("NHWC")},
			"fused_ops": map[string]any{"list": map[string]any{"s": []string{enc("BiasAdd"), enc("Relu6")}}}}},
		{"name": "shape", "op": "Shape", "input": []string{"conv"}},
		{"name": "hw", "op": "StridedSlice", "input": []string{"shape", "begin", "end", "step"}, "attr": map[string]any{
			"shrink_axis_mask": map[string]any{"i": "1"}}},
		{"name": "newshape", "op": "Pack", "input": []string{"hw", "minus1"}, "attr": map[string]any{"axis": map[string]any{"i": "0"}}},
		{"name": "out", "op": "Reshape", "input": []string{"conv", "newshape", "^xf"}},
		{"name": "Identity", "op": "Identity", "input": []string{"out"}},
	}
	type w struct {
		Name         string         `json:"name"`
		Shape        []int          `json:"shape"`
		DType        string         `json:"dtype"`
		Quantization map[string]any `json:"quantization,omitempty"`
	}
	weights := []w{
		{"k", []int{3, 3, 2, 3}, "float32", map[string]any{"dtype": "float16"}},
		{"bias", []int{3}, "float32", map[string]any{"dtype": "uint8", "scale": 0.5, "min": -1}},
		{"begin", []int{1}, "int32", nil}, {"end", []int{1}, "int32", nil}, {"step", []int{1}, "int32", nil},
		{"minus1", []int{}, "int32", nil},
	}
	var buf []byte
	for i := 0; i < 3*3*2*3; i++ {
		buf = binary.LittleEndian.AppendUint16(buf, half.FromFloat32(float32(i%7-3)/8))
	}
	buf = append(buf, 1, 2, 3) // bias −0.5, 0, 0.5
	for _, v := range []int32{1, 2, 1, -1} {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(v))
	}
	model := map[string]any{
		"format": "graph-model", "generatedBy": "test", "convertedBy": "test",
		"modelTopology":   map[string]any{"node": nodes},
		"weightsManifest": []any{map[string]any{"paths": []string{"tiny.bin"}, "weights": weights}},
	}
	j, err := json.Marshal(model)
	if err != nil {
		panic(err)
	}
	return j, buf
}

func readTiny(t testing.TB) (*Model, map[string]*Tensor) {
	t.Helper()
	j, shard := tinyModel()
	m, err := Parse(j)
	if err != nil {
		t.Fatal(err)
	}
	w, err := m.LoadWeights(func(p string) ([]byte, error) {
		if p != "tiny.bin" {
			return nil, fmt.Errorf("no %s", p)
		}
		return shard, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, w
}

func TestTinyModel(t *testing.T) {
	m, w := readTiny(t)
	if got := w["bias"].Values; got[0] != -0.5 || got[1] != 0 || got[2] != 0.5 {
		t.Fatalf("uint8 dequantization: %v", got)
	}
	if got := w["k"].Values[:3]; got[0] != -3.0/8 || got[1] != -2.0/8 || got[2] != -1.0/8 {
		t.Fatalf("float16 dequantization: %v", got)
	}
	if len(m.Inputs) != 1 || m.Inputs[0].DType != Int32 || m.Inputs[0].Shape[1] != -1 || len(m.Outputs) != 1 || m.Outputs[0].Name != "Identity" {
		t.Fatalf("inputs %+v, outputs %+v", m.Inputs, m.Outputs)
	}
	g, err := NewGraph(m, w)
	if err != nil {
		t.Fatal(err)
	}
	// A direct evaluation of the convolution for a 1×3×5×2 input of ones…
	const h, wd = 3, 5
	img := make([]int32, h*wd*2)
	for i := range img {
		img[i] = int32(i%5 - 2)
	}
	k := w["k"].Values
	want := make([]float32, h*wd*3)
	for y := range h {
		for x := range wd {
			for o := range 3 {
				s := w["bias"].Values[o]
				for dy := range 3 {
					for dx := range 3 {
						iy, ix := y+dy-1, x+dx-1
						if iy < 0 || ix < 0 || iy >= h || ix >= wd {
							continue
						}
						for c := range 2 {
							s += float64(img[(iy*wd+ix)*2+c]) * k[((dy*3+dx)*2+c)*3+o]
						}
					}
				}
				want[(y*wd+x)*3+o] = float32(min(max(s, 0), 6))
			}
		}
	}
	r := goRunner(t, g)
	outs, err := r.Run(t.Context(), tensorOf(img, 1, h, wd, 2))
	if err != nil {
		t.Fatal(err)
	}
	// …reshaped to [H, −1] by the folded shape arithmetic.
	if !slices.Equal(outs[0].Shape, []int{h, wd * 3}) {
		t.Fatalf("shape %v, want [%d %d]", outs[0].Shape, h, wd*3)
	}
	if d := maxAbsDiff(outs[0].Values, want); d > 1e-6 {
		t.Fatalf("max difference %g from the direct evaluation\ngot  %v\nwant %v", d, outs[0].Values, want)
	}
	if got := g.Ops()["_FusedConv2D"]; got != 1 {
		t.Errorf("Ops()[_FusedConv2D] = %d", got)
	}
}

func TestParseErrors(t *testing.T) {
	good, _ := tinyModel()
	edit := func(from, to string) string {
		if !strings.Contains(string(good), from) {
			t.Fatalf("tiny model has no %q", from)
		}
		return strings.Replace(string(good), from, to, 1)
	}
	for _, tc := range []struct{ name, json, want string }{
		{"not json", "{", "model.json"},
		{"layers model", `{"format": "layers-model", "modelTopology": {}}`, "only graph models"},
		{"no graph", `{"format": "graph-model"}`, "no graph"},
		{"unknown input", edit(`"input":["out"]`, `"input":["nowhere"]`), `input "nowhere" is not a node`},
		{"bad output index", edit(`"input":["out"]`, `"input":["out:x"]`), "bad output index"},
		{"duplicate", edit(`"name":"Identity"`, `"name":"out"`), "defined twice"},
		{"negative dim", edit(`"shape":[3,3,2,3]`, `"shape":[3,-3,2,3]`), "out of range"},
		{"quantization", edit(`"dtype":"float16"`, `"dtype":"int4"`), "unsupported"},
		{"shard path", edit(`"tiny.bin"`, `"../tiny.bin"`), "plain relative name"},
		{"weight dtype", edit(`"dtype":"int32"`, `"dtype":"string"`), "unsupported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
}

func TestGraphErrors(t *testing.T) {
	m, w := readTiny(t)
	// An unsupported operation is refused by name, with its node.
	m.Nodes[len(m.Nodes)-2].Op = "Einsum"
	_, err := NewGraph(m, w)
	if err == nil || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `node "out": op Einsum`) {
		t.Fatalf("err = %v, want the unsupported op named", err)
	}
	// A weight missing from the shards.
	m, w = readTiny(t)
	delete(w, "k")
	if _, err := NewGraph(m, w); err == nil || !strings.Contains(err.Error(), `node "k" (Const)`) {
		t.Fatalf("err = %v, want the missing weight named", err)
	}
	// A cycle.
	m, w = readTiny(t)
	m.Nodes[7].Inputs = []string{"out"} // xf reads out
	if _, err := NewGraph(m, w); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("err = %v, want a cycle", err)
	}
	// Short shards.
	j, shard := tinyModel()
	m, err = Parse(j)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.LoadWeights(func(string) ([]byte, error) { return shard[:10], nil }); err == nil || !strings.Contains(err.Error(), `weight "k"`) {
		t.Fatalf("err = %v, want the short weight named", err)
	}
	// A failure while building names the node and op: a wrong-rank input.
	m, w = readTiny(t)
	g, err := NewGraph(m, w)
	if err != nil {
		t.Fatal(err)
	}
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	gr := graph.NewGraph(be, "t")
	x := graph.Parameter(gr, "x", shapes.Make(toGoMLX(Int32), 1, 3, 3, 2))
	m.Nodes[8].Attrs["padding"] = Attr{S: ptr(base64.StdEncoding.EncodeToString([]byte("FULL")))}
	if _, err := g.Build([]*graph.Node{x}); err == nil || !strings.Contains(err.Error(), `node "conv" (_FusedConv2D)`) || !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v, want the node and op named", err)
	}
}

func ptr[T any](v T) *T { return &v }

// FuzzParse feeds arbitrary model.json and shard bytes through Parse, LoadWeights, NewGraph and
// Build: none may panic, whatever the input.
func FuzzParse(f *testing.F) {
	j, shard := tinyModel()
	f.Add(j, shard)
	f.Add([]byte(`{"modelTopology": {"node": [{"name": "a", "op": "Placeholder"}, {"name": "b", "op": "Sigmoid", "input": ["a:0"]}]}}`), []byte{})
	f.Add([]byte(`{"format":"graph-model","modelTopology":{"node":[{"name":"c","op":"Const"},{"name":"s","op":"Shape","input":["c"]}]},"weightsManifest":[{"paths":["a"],"weights":[{"name":"c","shape":[2,2],"dtype":"bool"}]}]}`), []byte{1, 0, 1, 1})
	be, err := backend.New("go")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data, shard []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		w, err := m.LoadWeights(func(string) ([]byte, error) { return shard, nil })
		if err != nil {
			return
		}
		g, err := NewGraph(m, w)
		if err != nil {
			return
		}
		gr := graph.NewGraph(be, "fuzz")
		var inputs []*graph.Node
		for i, in := range m.Inputs {
			dims := make([]int, len(in.Shape))
			for a, d := range in.Shape {
				dims[a] = max(1, min(d, 8))
			}
			inputs = append(inputs, graph.Parameter(gr, fmt.Sprintf("in%d", i), shapes.Make(toGoMLX(in.DType), dims...)))
		}
		_, _ = g.Build(inputs)
	})
}

func tensorOf[T int32 | float32](v []T, dims ...int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(v, dims...)
}
