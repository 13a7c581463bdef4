package tfjs

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// opModel assembles a graph model from nodes and weights (name → dtype, shape, values) into a
// directory (model.json and one shard) and returns the model.json path. Every node whose name
// starts with "out" is an output.
type opWeight struct {
	dtype  string
	shape  []int
	values []float64
}

func writeOpModel(t *testing.T, nodes []map[string]any, weights map[string]opWeight) string {
	t.Helper()
	names := make([]string, 0, len(weights))
	for n := range weights {
		names = append(names, n)
	}
	sort.Strings(names)
	var specs []map[string]any
	var shard []byte
	for _, n := range names {
		w := weights[n]
		specs = append(specs, map[string]any{"name": n, "shape": w.shape, "dtype": w.dtype})
		dt := "DT_FLOAT"
		if w.dtype == "int32" {
			dt = "DT_INT32"
		}
		nodes = append([]map[string]any{{"name": n, "op": "Const", "attr": map[string]any{"dtype": map[string]any{"type": dt}}}}, nodes...)
		for _, v := range w.values {
			if w.dtype == "int32" {
				shard = binary.LittleEndian.AppendUint32(shard, uint32(int32(v)))
			} else {
				shard = binary.LittleEndian.AppendUint32(shard, math.Float32bits(float32(v)))
			}
		}
	}
	outputs := map[string]any{}
	for _, n := range nodes {
		if name := n["name"].(string); len(name) > 3 && name[:3] == "out" {
			outputs[name] = map[string]any{"name": name + ":0"}
		}
	}
	model := map[string]any{
		"format": "graph-model", "generatedBy": "test", "convertedBy": "test",
		"signature":       map[string]any{"outputs": outputs},
		"modelTopology":   map[string]any{"node": nodes, "versions": map[string]any{}},
		"weightsManifest": []any{map[string]any{"paths": []string{"w.bin"}, "weights": specs}},
	}
	j, err := json.Marshal(model)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), shard, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.json")
	if err := os.WriteFile(path, j, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// node returns a graph node; attrs use the AttrValue JSON forms.
func node(name, op string, inputs []string, attrs map[string]any) map[string]any {
	n := map[string]any{"name": name, "op": op}
	if len(inputs) > 0 {
		n["input"] = inputs
	}
	if attrs != nil {
		n["attr"] = attrs
	}
	return n
}

func aInt(v int) map[string]any   { return map[string]any{"i": fmt.Sprint(v)} }
func aBool(v bool) map[string]any { return map[string]any{"b": v} }
func aStr(v string) map[string]any {
	return map[string]any{"s": base64.StdEncoding.EncodeToString([]byte(v))}
}
func aType(v string) map[string]any { return map[string]any{"type": v} }
func aInts(v ...int) map[string]any {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return map[string]any{"list": map[string]any{"i": s}}
}
func aStrs(v ...string) map[string]any {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = base64.StdEncoding.EncodeToString([]byte(x))
	}
	return map[string]any{"list": map[string]any{"s": s}}
}

// TestOpsAgreeWithTFJS runs a synthetic graph model that uses the supported operations in ways
// MoveNet does not (odd sizes, strides and masks, negative integers, several outputs) with this
// package and with TensorFlow.js's CPU backend, and compares every output.
func TestOpsAgreeWithTFJS(t *testing.T) {
	mods := tfjsModules(t)
	const h, w = 5, 7
	iv := func(v ...float64) opWeight { return opWeight{"int32", []int{len(v)}, v} }
	is := func(v float64) opWeight { return opWeight{"int32", []int{}, []float64{v}} }
	kernel := make([]float64, 3*3*3*4)
	for i := range kernel {
		kernel[i] = math.Sin(float64(i)) / 4
	}
	dw := make([]float64, 3*3*4)
	for i := range dw {
		dw[i] = math.Cos(float64(i)) / 3
	}
	weights := map[string]opWeight{
		"k": {"float32", []int{3, 3, 3, 4}, kernel}, "bias": {"float32", []int{4}, []float64{0.1, -0.2, 0.3, -0.4}},
		"dwk": {"float32", []int{3, 3, 4, 1}, dw}, "half": {"float32", []int{}, []float64{0.5}},
		"b0": iv(0, 1, 1, 0), "e0": iv(1, 5, -1, 2), "s0": iv(1, 2, 2, 1),
		"tile": iv(1, 2, 1, 2), "hundred": is(100), "seven": is(7), "minus3": is(-3),
		"flat": iv(1, -1), "k5": is(5), "ax0": is(0), "ax1": is(1), "ax2": is(2), "axm1": is(-1),
		"axes12": iv(1, 2), "size2x": iv(6, 8), "three": {"float32", []int{}, []float64{3}},
		"b1": iv(0, 0, 0), "e1": iv(0, 0, -1), "s1": iv(1, 1, 2),
	}
	f32, i32 := aType("DT_FLOAT"), aType("DT_INT32")
	nodes := []map[string]any{
		node("x", "Placeholder", nil, map[string]any{"dtype": i32}),
		node("xf", "Cast", []string{"x"}, map[string]any{"DstT": f32}),
		node("xs", "Mul", []string{"xf", "half"}, nil),
		// Convolutions: SAME on odd sizes, strided; fused ReLU6, depthwise with a bias and ReLU.
		node("conv", "_FusedConv2D", []string{"xs", "k", "bias"}, map[string]any{"strides": aInts(1, 2, 2, 1),
			"padding": aStr("SAME"), "data_format": aStr("NHWC"), "fused_ops": aStrs("BiasAdd", "Relu6"), "dilations": aInts(1, 1, 1, 1), "num_args": aInt(1)}),
		node("out_conv", "Identity", []string{"conv"}, nil),
		node("dwc", "FusedDepthwiseConv2dNative", []string{"conv", "dwk", "bias"}, map[string]any{"strides": aInts(1, 1, 1, 1),
			"padding": aStr("SAME"), "data_format": aStr("NHWC"), "fused_ops": aStrs("BiasAdd", "Relu"), "num_args": aInt(1)}),
		node("out_dw", "Identity", []string{"dwc"}, nil),
		node("pool", "MaxPool", []string{"xs"}, map[string]any{"ksize": aInts(1, 3, 3, 1), "strides": aInts(1, 2, 2, 1), "padding": aStr("SAME"), "data_format": aStr("NHWC")}),
		node("out_pool", "Identity", []string{"pool"}, nil),
		node("up", "ResizeBilinear", []string{"dwc", "size2x"}, map[string]any{"half_pixel_centers": aBool(true), "align_corners": aBool(false)}),
		node("out_up", "Identity", []string{"up"}, nil),
		// Slicing and shapes.
		node("sl", "StridedSlice", []string{"xf", "b0", "e0", "s0"}, map[string]any{"shrink_axis_mask": aInt(0), "end_mask": aInt(8), "begin_mask": aInt(8), "new_axis_mask": aInt(0), "ellipsis_mask": aInt(0)}),
		node("out_slice", "Identity", []string{"sl"}, nil),
		node("tl", "Tile", []string{"sl", "tile"}, nil),
		node("out_tile", "Identity", []string{"tl"}, nil),
		node("sl2", "StridedSlice", []string{"tl", "b1", "e1", "s1"}, map[string]any{"begin_mask": aInt(1), "end_mask": aInt(1), "new_axis_mask": aInt(0), "shrink_axis_mask": aInt(0), "ellipsis_mask": aInt(2)}),
		node("out_slice2", "Identity", []string{"sl2"}, nil),
		// Integer arithmetic with negatives.
		node("xi", "Cast", []string{"xs"}, map[string]any{"DstT": i32}),
		node("neg", "Sub", []string{"xi", "hundred"}, nil),
		node("fd", "FloorDiv", []string{"neg", "seven"}, nil),
		node("out_floordiv", "Identity", []string{"fd"}, nil),
		node("fm", "FloorMod", []string{"neg", "minus3"}, nil),
		node("out_floormod", "Identity", []string{"fm"}, nil),
		// Reductions, arg-max, top-k, gather.
		node("flat2", "Reshape", []string{"xf", "flat"}, nil),
		node("topk", "TopKV2", []string{"flat2", "k5"}, map[string]any{"sorted": aBool(true)}),
		node("out_topk_values", "Identity", []string{"topk"}, nil),
		node("out_topk_indices", "Identity", []string{"topk:1"}, nil),
		node("am", "ArgMax", []string{"xf", "axm1"}, map[string]any{"output_type": i32}),
		node("out_argmax", "Identity", []string{"am"}, nil),
		node("sum", "Sum", []string{"xf", "axes12"}, map[string]any{"keep_dims": aBool(true)}),
		node("out_sum", "Identity", []string{"sum"}, nil),
		node("mx", "Max", []string{"xf", "axes12"}, map[string]any{"keep_dims": aBool(false)}),
		node("out_max", "Identity", []string{"mx"}, nil),
		node("idx", "Pack", []string{"ax0", "ax2", "ax1"}, map[string]any{"axis": aInt(0)}),
		node("idx2", "ExpandDims", []string{"idx", "ax0"}, nil),
		node("gnd", "GatherNd", []string{"xf", "idx2"}, nil),
		node("out_gather", "Identity", []string{"gnd"}, nil),
		// Element-wise functions and selection.
		node("sg", "Sigmoid", []string{"conv"}, nil),
		node("sq", "SquaredDifference", []string{"sg", "half"}, nil),
		node("rs", "Rsqrt", []string{"three"}, nil),
		node("mix", "Mul", []string{"sq", "rs"}, nil),
		node("gt", "Greater", []string{"sg", "half"}, nil),
		node("sel", "SelectV2", []string{"gt", "mix", "sg"}, nil),
		node("out_select", "Identity", []string{"sel"}, nil),
		node("un", "Unpack", []string{"conv"}, map[string]any{"axis": aInt(3), "num": aInt(4)}),
		node("cat", "ConcatV2", []string{"un:3", "un:0", "ax2"}, map[string]any{"N": aInt(2)}),
		node("out_concat", "Identity", []string{"cat"}, nil),
		node("sp", "Split", []string{"axm1", "conv"}, map[string]any{"num_split": aInt(2)}),
		node("out_split", "AddN", []string{"sp", "sp:1"}, map[string]any{"N": aInt(2)}),
	}
	path := writeOpModel(t, nodes, weights)
	m, wts, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGraph(m, wts)
	if err != nil {
		t.Fatal(err)
	}
	img := make([]int32, h*w*3)
	for i := range img {
		img[i] = int32((i*37 + 11) % 256)
	}
	outs, err := goRunner(t, g).Run(context.Background(), tensors.FromFlatDataAndDimensions(img, 1, h, w, 3))
	if err != nil {
		t.Fatal(err)
	}
	ref := runTFJS(t, mods, path, img, h, w, "cpu", 1)
	byName := map[string]int{}
	for i, o := range ref.Outputs {
		byName[o.Name] = i
	}
	for i, info := range g.Outputs() {
		j, ok := byName[info.Name]
		if !ok {
			t.Errorf("%s: not among TF.js's outputs %v", info.Name, ref.Outputs)
			continue
		}
		if !slices.Equal(outs[i].Shape, ref.Outputs[j].Shape) {
			t.Errorf("%s: shape %v, TF.js %v", info.Name, outs[i].Shape, ref.Outputs[j].Shape)
			continue
		}
		d := maxAbsDiff(outs[i].Values, ref.Values[j])
		t.Logf("%-18s %v: max difference %.2g", info.Name, outs[i].Shape, d)
		if d > 2e-5 {
			t.Errorf("%s: differs from TF.js by %.2g\ngo   %v\ntfjs %v", info.Name, d, outs[i].Values, ref.Values[j])
		}
	}
}
