package tfjs

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// opDef translates one operation.
type opDef struct {
	// inputs is the exact number of inputs, or −k for at least k.
	inputs int
	fn     func(b *builder, n *Node, in []value) ([]value, error)
}

// ops maps operation names to their translations (filled by init: some translations use others).
var ops map[string]opDef

func one(v value) []value { return []value{v} }

func init() {
	ops = map[string]opDef{
		"Const":        {0, opConst},
		"Placeholder":  {0, opPlaceholder},
		"Identity":     {1, func(_ *builder, _ *Node, in []value) ([]value, error) { return one(in[0]), nil }},
		"Cast":         {1, opCast},
		"Shape":        {1, opShape},
		"Size":         {1, opSize},
		"Reshape":      {2, opReshape},
		"ExpandDims":   {2, opExpandDims},
		"Squeeze":      {1, opSqueeze},
		"Pack":         {-1, opPack},
		"Unpack":       {1, opUnpack},
		"ConcatV2":     {-2, opConcat},
		"StridedSlice": {4, opStridedSlice},
		"Tile":         {2, opTile},
		"Fill":         {2, opFill},
		"Range":        {3, opRange},
		"Split":        {2, opSplit},
		"AddN":         {-1, opAddN},

		"Sum":  {2, reduceOp(graph.ReduceSum)},
		"Max":  {2, reduceOp(graph.ReduceMax)},
		"Min":  {2, reduceOp(graph.ReduceMin)},
		"Mean": {2, reduceOp(graph.ReduceMean)},

		"ArgMax":         {2, opArgMax},
		"TopKV2":         {2, opTopK},
		"GatherNd":       {2, opGatherNd},
		"Select":         {3, opSelect},
		"SelectV2":       {3, opSelect},
		"MaxPool":        {1, opMaxPool},
		"BiasAdd":        {2, opBiasAdd},
		"ResizeBilinear": {2, opResizeBilinear},

		"Conv2D":                     {2, convOp(false, false)},
		"_FusedConv2D":               {-3, convOp(false, true)},
		"DepthwiseConv2dNative":      {2, convOp(true, false)},
		"FusedDepthwiseConv2dNative": {-3, convOp(true, true)},
	}
	for name, f := range binaryOps {
		ops[name] = opDef{2, binaryOp(f)}
	}
	for name, f := range unaryOps {
		ops[name] = opDef{1, unaryOp(f)}
	}
}

func opConst(b *builder, n *Node, _ []value) ([]value, error) {
	w, ok := b.g.weights[n.Name]
	if !ok {
		return nil, fmt.Errorf("no weight of that name")
	}
	if dt, err := n.attrType("dtype", w.DType); err == nil && dt != w.DType {
		return nil, fmt.Errorf("node says %s, the weight is %s", dt, w.DType)
	}
	return one(value{h: w}), nil
}

func opPlaceholder(_ *builder, _ *Node, _ []value) ([]value, error) {
	return nil, fmt.Errorf("a placeholder that is not among the model's inputs")
}

func opCast(b *builder, n *Node, in []value) ([]value, error) {
	dt, err := n.attrType("DstT", Float32)
	if err != nil {
		return nil, err
	}
	x := in[0]
	if x.dtype() == dt {
		return one(x), nil
	}
	if x.h != nil {
		out := &Tensor{DType: dt, Shape: x.h.Shape, Values: make([]float64, len(x.h.Values))}
		for i, v := range x.h.Values {
			if dt == Int32 {
				v = math.Trunc(v)
			}
			out.Values[i] = round(dt, v)
		}
		return one(value{h: out}), nil
	}
	if dt == Bool {
		return one(value{n: graph.NotEqual(x.n, graph.ScalarZero(b.gr, x.n.DType()))}), nil
	}
	return one(value{n: graph.ConvertDType(x.n, toGoMLX(dt))}), nil
}

func opShape(_ *builder, _ *Node, in []value) ([]value, error) {
	s := in[0].shape()
	out := &Tensor{DType: Int32, Shape: []int{len(s)}, Values: make([]float64, len(s))}
	for i, d := range s {
		out.Values[i] = float64(d)
	}
	return one(value{h: out}), nil
}

func opSize(_ *builder, _ *Node, in []value) ([]value, error) {
	n := 1
	for _, d := range in[0].shape() {
		n *= d
	}
	return one(value{h: &Tensor{DType: Int32, Shape: []int{}, Values: []float64{float64(n)}}}), nil
}

// reshapeTo gives v the shape dims (same size).
func reshapeTo(v value, dims []int) (value, error) {
	if v.h != nil {
		t, err := reshaped(v.h, dims)
		return value{h: t}, err
	}
	return value{n: graph.Reshape(v.n, dims...)}, nil
}

func opReshape(_ *builder, _ *Node, in []value) ([]value, error) {
	dims, err := hostInts(in[1], "the new shape")
	if err != nil {
		return nil, err
	}
	size := 1
	for _, d := range in[0].shape() {
		size *= d
	}
	unknown, known := -1, 1
	for i, d := range dims {
		switch {
		case d == -1 && unknown < 0:
			unknown = i
		case d < 0:
			return nil, fmt.Errorf("shape %v", dims)
		default:
			known *= d
		}
	}
	if unknown >= 0 {
		if known == 0 || size%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v to %v", in[0].shape(), dims)
		}
		dims[unknown] = size / known
	}
	v, err := reshapeTo(in[0], dims)
	if err != nil {
		return nil, err
	}
	return one(v), nil
}

// normAxis turns a possibly negative axis of a rank-r tensor into 0..r−1.
func normAxis(axis, r int) (int, error) {
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, r)
	}
	return axis, nil
}

func opExpandDims(_ *builder, _ *Node, in []value) ([]value, error) {
	axis, err := hostInt(in[1], "the axis")
	if err != nil {
		return nil, err
	}
	s := in[0].shape()
	if axis, err = normAxis(axis, len(s)+1); err != nil {
		return nil, err
	}
	dims := append(append(append([]int{}, s[:axis]...), 1), s[axis:]...)
	v, err := reshapeTo(in[0], dims)
	if err != nil {
		return nil, err
	}
	return one(v), nil
}

func opSqueeze(_ *builder, n *Node, in []value) ([]value, error) {
	s := in[0].shape()
	drop := map[int]bool{}
	for _, a := range n.attrInts("squeeze_dims") {
		a, err := normAxis(a, len(s))
		if err != nil {
			return nil, err
		}
		if s[a] != 1 {
			return nil, fmt.Errorf("axis %d of shape %v is not 1", a, s)
		}
		drop[a] = true
	}
	var dims []int
	for a, d := range s {
		if drop[a] || (len(drop) == 0 && d == 1) {
			continue
		}
		dims = append(dims, d)
	}
	v, err := reshapeTo(in[0], dims)
	if err != nil {
		return nil, err
	}
	return one(v), nil
}

// allHost reports whether every value is known on the host.
func allHost(in []value) bool {
	for _, v := range in {
		if v.h == nil {
			return false
		}
	}
	return true
}

func opPack(b *builder, n *Node, in []value) ([]value, error) {
	s := in[0].shape()
	axis, err := normAxis(n.attrInt("axis", 0), len(s)+1)
	if err != nil {
		return nil, err
	}
	dims := append(append(append([]int{}, s[:axis]...), 1), s[axis:]...)
	parts := make([]value, len(in))
	for i, v := range in {
		if !slices.Equal(v.shape(), s) || v.dtype() != in[0].dtype() {
			return nil, fmt.Errorf("input %d is %s%v, input 0 %s%v", i, v.dtype(), v.shape(), in[0].dtype(), s)
		}
		if parts[i], err = reshapeTo(v, dims); err != nil {
			return nil, err
		}
	}
	return concat(b, parts, axis)
}

// concat concatenates values along axis, on the host when they all are known there.
func concat(b *builder, in []value, axis int) ([]value, error) {
	if allHost(in) {
		ts := make([]*Tensor, len(in))
		for i, v := range in {
			ts[i] = v.h
		}
		t, err := hostConcat(ts, axis)
		if err != nil {
			return nil, err
		}
		return one(value{h: t}), nil
	}
	if len(in) == 1 {
		return one(value{n: b.node(in[0])}), nil
	}
	nodes := make([]*graph.Node, len(in))
	for i, v := range in {
		nodes[i] = b.node(v)
	}
	return one(value{n: graph.Concatenate(nodes, axis)}), nil
}

func opConcat(b *builder, _ *Node, in []value) ([]value, error) {
	axis, err := hostInt(in[len(in)-1], "the axis")
	if err != nil {
		return nil, err
	}
	vals := in[:len(in)-1]
	if axis, err = normAxis(axis, len(vals[0].shape())); err != nil {
		return nil, err
	}
	return concat(b, vals, axis)
}

// sliceAxis returns v[..., i, ...] along axis, the axis removed.
func sliceAxis(v value, axis, i int) (value, error) {
	s := v.shape()
	dims := append(append([]int{}, s[:axis]...), s[axis+1:]...)
	if v.h != nil {
		st := strides(v.h.Shape)
		t, err := gatherHost(v.h, dims, func(idx []int) int {
			j := i * st[axis]
			for a, c := range idx {
				if a < axis {
					j += c * st[a]
				} else {
					j += c * st[a+1]
				}
			}
			return j
		})
		return value{h: t}, err
	}
	return value{n: graph.Reshape(graph.SliceAxis(v.n, axis, graph.AxisElem(i)), dims...)}, nil
}

func opUnpack(_ *builder, n *Node, in []value) ([]value, error) {
	s := in[0].shape()
	axis, err := normAxis(n.attrInt("axis", 0), len(s))
	if err != nil {
		return nil, err
	}
	if num := n.attrInt("num", s[axis]); num != s[axis] {
		return nil, fmt.Errorf("num %d for axis %d of shape %v", num, axis, s)
	}
	outs := make([]value, s[axis])
	for i := range outs {
		if outs[i], err = sliceAxis(in[0], axis, i); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

func opSplit(b *builder, n *Node, in []value) ([]value, error) {
	axis, err := hostInt(in[0], "the axis")
	if err != nil {
		return nil, err
	}
	s := in[1].shape()
	if axis, err = normAxis(axis, len(s)); err != nil {
		return nil, err
	}
	num := n.attrInt("num_split", 0)
	if num < 1 || s[axis]%num != 0 {
		return nil, fmt.Errorf("cannot split axis %d of shape %v into %d", axis, s, num)
	}
	parts := graph.Split(b.node(in[1]), axis, num)
	outs := make([]value, len(parts))
	for i, p := range parts {
		outs[i] = value{n: p}
	}
	return outs, nil
}

func opTile(b *builder, _ *Node, in []value) ([]value, error) {
	mult, err := hostInts(in[1], "the multiples")
	if err != nil {
		return nil, err
	}
	s := in[0].shape()
	if len(mult) != len(s) {
		return nil, fmt.Errorf("%d multiples for rank %d", len(mult), len(s))
	}
	out := make([]int, len(s))
	for a := range s {
		if mult[a] < 1 {
			return nil, fmt.Errorf("multiples %v", mult)
		}
		out[a] = s[a] * mult[a]
	}
	if in[0].h != nil {
		st := strides(s)
		t, err := gatherHost(in[0].h, out, func(idx []int) int {
			j := 0
			for a, c := range idx {
				j += c % s[a] * st[a]
			}
			return j
		})
		if err != nil {
			return nil, err
		}
		return one(value{h: t}), nil
	}
	x := in[0].n
	inter, wide := make([]int, 0, 2*len(s)), make([]int, 0, 2*len(s))
	for a := range s {
		inter = append(inter, 1, s[a])
		wide = append(wide, mult[a], s[a])
	}
	x = graph.BroadcastToDims(graph.Reshape(x, inter...), wide...)
	return one(value{n: graph.Reshape(x, out...)}), nil
}

func opFill(b *builder, _ *Node, in []value) ([]value, error) {
	dims, err := hostInts(in[0], "the dimensions")
	if err != nil {
		return nil, err
	}
	if len(in[1].shape()) != 0 {
		return nil, fmt.Errorf("fill value has shape %v, want a scalar", in[1].shape())
	}
	if in[1].h != nil {
		t, err := newTensor(in[1].h.DType, dims)
		if err != nil {
			return nil, err
		}
		for i := range t.Values {
			t.Values[i] = in[1].h.Values[0]
		}
		return one(value{h: t}), nil
	}
	if _, err := numElements(dims); err != nil {
		return nil, err
	}
	return one(value{n: graph.BroadcastToDims(in[1].n, dims...)}), nil
}

func opRange(_ *builder, n *Node, in []value) ([]value, error) {
	var p [3]float64
	for i, v := range in {
		if v.h == nil || len(v.h.Values) != 1 {
			return nil, fmt.Errorf("start, limit and delta must be scalars known when the graph is built")
		}
		p[i] = v.h.Values[0]
	}
	dt, err := n.attrType("Tidx", in[0].dtype())
	if err != nil {
		return nil, err
	}
	start, limit, delta := p[0], p[1], p[2]
	if delta == 0 || math.IsNaN(start+limit+delta) {
		return nil, fmt.Errorf("range(%v, %v, %v)", start, limit, delta)
	}
	count := math.Ceil((limit - start) / delta)
	if count < 0 {
		count = 0
	}
	if count > maxHostElements {
		return nil, fmt.Errorf("range(%v, %v, %v) has %v elements", start, limit, delta, count)
	}
	t := &Tensor{DType: dt, Shape: []int{int(count)}, Values: make([]float64, int(count))}
	for i := range t.Values {
		t.Values[i] = round(dt, start+float64(i)*delta)
	}
	return one(value{h: t}), nil
}

func opAddN(b *builder, _ *Node, in []value) ([]value, error) {
	sum := in[0]
	add := binaryOp(binaryOps["AddV2"])
	for _, v := range in[1:] {
		out, err := add(b, nil, []value{sum, v})
		if err != nil {
			return nil, err
		}
		sum = out[0]
	}
	return one(sum), nil
}

// reduceOp translates Sum, Max, Min and Mean (reduction axes known, keep_dims).
func reduceOp(f func(x *graph.Node, axes ...int) *graph.Node) func(*builder, *Node, []value) ([]value, error) {
	return func(b *builder, n *Node, in []value) ([]value, error) {
		axes, err := hostInts(in[1], "the reduction axes")
		if err != nil {
			return nil, err
		}
		s := in[0].shape()
		seen := map[int]bool{}
		for i, a := range axes {
			if axes[i], err = normAxis(a, len(s)); err != nil {
				return nil, err
			}
			if seen[axes[i]] {
				return nil, fmt.Errorf("axis %d reduced twice", axes[i])
			}
			seen[axes[i]] = true
		}
		y := f(b.node(in[0]), axes...)
		if n.attrBool("keep_dims") {
			dims := append([]int{}, s...)
			for _, a := range axes {
				dims[a] = 1
			}
			y = graph.Reshape(y, dims...)
		}
		return one(value{n: y}), nil
	}
}

func opArgMax(b *builder, _ *Node, in []value) ([]value, error) {
	axis, err := hostInt(in[1], "the axis")
	if err != nil {
		return nil, err
	}
	if axis, err = normAxis(axis, len(in[0].shape())); err != nil {
		return nil, err
	}
	return one(value{n: graph.ArgMax(b.node(in[0]), axis, dtypes.Int32)}), nil
}

func opTopK(b *builder, _ *Node, in []value) ([]value, error) {
	k, err := hostInt(in[1], "k")
	if err != nil {
		return nil, err
	}
	s := in[0].shape()
	if len(s) == 0 || k < 1 || k > s[len(s)-1] {
		return nil, fmt.Errorf("k %d for shape %v", k, s)
	}
	vals, idx := graph.TopK(b.node(in[0]), k, -1)
	return []value{{n: vals}, {n: graph.ConvertDType(idx, dtypes.Int32)}}, nil
}

func opGatherNd(b *builder, _ *Node, in []value) ([]value, error) {
	if in[1].dtype() != Int32 {
		return nil, fmt.Errorf("indices are %s", in[1].dtype())
	}
	ps, is := in[0].shape(), in[1].shape()
	if len(is) == 0 || is[len(is)-1] > len(ps) {
		return nil, fmt.Errorf("indices %v for params %v", is, ps)
	}
	return one(value{n: graph.Gather(b.node(in[0]), b.node(in[1]))}), nil
}

func opSelect(b *builder, n *Node, in []value) ([]value, error) {
	c, t, e := b.node(in[0]), b.node(in[1]), b.node(in[2])
	if c.DType() != dtypes.Bool {
		return nil, fmt.Errorf("condition is %s", c.DType())
	}
	if n.Op == "Select" && c.Rank() == 1 && t.Rank() > 1 {
		// TensorFlow's Select picks whole rows by a vector condition.
		dims := make([]int, t.Rank())
		for i := range dims {
			dims[i] = 1
		}
		dims[0] = c.Shape().Dimensions[0]
		c = graph.Reshape(c, dims...)
	}
	shape, err := broadcastShapes(c.Shape().Dimensions, t.Shape().Dimensions)
	if err == nil {
		shape, err = broadcastShapes(shape, e.Shape().Dimensions)
	}
	if err != nil {
		return nil, err
	}
	return one(value{n: graph.Where(broadcastTo(c, shape), broadcastTo(t, shape), broadcastTo(e, shape))}), nil
}

// broadcastTo broadcasts x to shape (NumPy rules: leading axes added).
func broadcastTo(x *graph.Node, shape []int) *graph.Node {
	d := x.Shape().Dimensions
	if slices.Equal(d, shape) {
		return x
	}
	if len(d) < len(shape) {
		full := make([]int, len(shape))
		for i := range full {
			full[i] = 1
		}
		copy(full[len(shape)-len(d):], d)
		x = graph.Reshape(x, full...)
	}
	return graph.BroadcastToDims(x, shape...)
}
