package tfjs

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Graph is a TF.js graph model ready to be built into GoMLX graphs: its nodes in evaluation order
// (those the outputs need) and its weights.
type Graph struct {
	model   *Model
	weights map[string]*Tensor
	order   []int          // indices of the nodes to evaluate, inputs before users
	index   map[string]int // node name → index in model.Nodes
}

// SupportedOps returns the names of the operations the translation handles, sorted.
func SupportedOps() []string {
	out := make([]string, 0, len(ops))
	for name := range ops {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// NewGraph prepares model m with its weights for building. It fails, naming the node, when a node
// the outputs need uses an operation outside SupportedOps, when a Const node has no weight, or when
// the graph has a cycle.
func NewGraph(m *Model, weights map[string]*Tensor) (*Graph, error) {
	g := &Graph{model: m, weights: weights, index: map[string]int{}}
	for i, n := range m.Nodes {
		g.index[n.Name] = i
	}
	// Depth-first post-order from the outputs, without recursion (the graph may be deep).
	const (
		unseen = iota
		open
		done
	)
	state := make([]uint8, len(m.Nodes))
	type frame struct{ node, next int }
	for _, out := range m.Outputs {
		name, _, err := splitRef(out.Name)
		if err != nil {
			return nil, fmt.Errorf("tfjs: output %q: %w", out.Name, err)
		}
		root, ok := g.index[name]
		if !ok {
			return nil, fmt.Errorf("tfjs: output %q is not a node", out.Name)
		}
		if state[root] == done {
			continue
		}
		stack := []frame{{root, 0}}
		state[root] = open
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			n := &m.Nodes[top.node]
			if top.next < len(n.Inputs) {
				in, _, _ := splitRef(n.Inputs[top.next])
				top.next++
				j := g.index[in]
				switch state[j] {
				case open:
					return nil, fmt.Errorf("tfjs: node %q (%s): the graph has a cycle through %q", n.Name, n.Op, in)
				case unseen:
					state[j] = open
					stack = append(stack, frame{j, 0})
				}
				continue
			}
			state[top.node] = done
			g.order = append(g.order, top.node)
			stack = stack[:len(stack)-1]
		}
	}
	var unsupported []string
	for _, i := range g.order {
		n := &m.Nodes[i]
		if _, ok := ops[n.Op]; !ok {
			unsupported = append(unsupported, fmt.Sprintf("node %q: op %s", n.Name, n.Op))
			continue
		}
		if n.Op == "Const" {
			if _, ok := weights[n.Name]; !ok {
				return nil, fmt.Errorf("tfjs: node %q (Const): no weight of that name in the manifest", n.Name)
			}
		}
	}
	if len(unsupported) > 0 {
		more := ""
		if len(unsupported) > 5 {
			more = fmt.Sprintf(" and %d more", len(unsupported)-5)
			unsupported = unsupported[:5]
		}
		return nil, fmt.Errorf("tfjs: %s%s: %w", strings.Join(unsupported, "; "), more, ErrUnsupported)
	}
	return g, nil
}

// Model returns the model the graph was made from.
func (g *Graph) Model() *Model { return g.model }

// Inputs returns the graph's inputs (their shapes may have unknown dimensions, −1).
func (g *Graph) Inputs() []TensorInfo { return g.model.Inputs }

// Outputs returns the graph's outputs.
func (g *Graph) Outputs() []TensorInfo { return g.model.Outputs }

// Ops returns how many nodes of each operation the outputs need.
func (g *Graph) Ops() map[string]int {
	out := map[string]int{}
	for _, i := range g.order {
		out[g.model.Nodes[i].Op]++
	}
	return out
}

// Build adds the model to the graph of inputs (one node per input, in the order of Inputs, of
// the input's type and of a shape that fits it) and returns its outputs. GoMLX reports
// graph-building failures by panicking; Build turns them into errors naming the node.
func (g *Graph) Build(inputs []*graph.Node) (outs []*graph.Node, err error) {
	return g.BuildWith(inputs, nil)
}

// BuildWith is Build with the values of some nodes given (by node name) instead of computed: e.g.
// the heads of an imported (and fine-tuned) network (see ImportNet), decoded by the rest of the
// graph. Nodes that only the given ones read are left out of the graph by the backends.
func (g *Graph) BuildWith(inputs []*graph.Node, given map[string]*graph.Node) (outs []*graph.Node, err error) {
	exc := exceptions.Try(func() { outs, err = g.build(inputs, given) })
	if exc != nil {
		return nil, fmt.Errorf("tfjs: building graph: %v", exc)
	}
	return outs, err
}

func (g *Graph) build(inputs []*graph.Node, given map[string]*graph.Node) ([]*graph.Node, error) {
	if len(inputs) != len(g.model.Inputs) {
		return nil, fmt.Errorf("tfjs: %d inputs given, the model has %d", len(inputs), len(g.model.Inputs))
	}
	if len(inputs) == 0 {
		return nil, fmt.Errorf("tfjs: a model without inputs cannot be built")
	}
	b := &builder{g: g, gr: inputs[0].Graph(), values: map[string][]value{}, lifted: map[*Tensor]*graph.Node{}}
	for i, info := range g.model.Inputs {
		x := inputs[i]
		if want := toGoMLX(info.DType); x.DType() != want {
			return nil, fmt.Errorf("tfjs: input %q is %s, the model wants %s", info.Name, x.DType(), want)
		}
		if info.Shape != nil {
			d := x.Shape().Dimensions
			ok := len(d) == len(info.Shape)
			for j := 0; ok && j < len(d); j++ {
				ok = info.Shape[j] < 0 || info.Shape[j] == d[j]
			}
			if !ok {
				return nil, fmt.Errorf("tfjs: input %q has shape %v, the model wants %v", info.Name, d, info.Shape)
			}
		}
		name, _, _ := splitRef(info.Name)
		b.values[name] = []value{{n: x}}
	}
	for name, x := range given {
		if _, ok := g.index[name]; !ok || x == nil {
			return nil, fmt.Errorf("tfjs: given value for %q, which is not a node", name)
		}
		b.values[name] = []value{{n: x}}
	}
	needed := g.needed(given)
	for _, i := range g.order {
		n := &g.model.Nodes[i]
		if _, ok := b.values[n.Name]; ok || (needed != nil && !needed[i]) {
			continue
		}
		var outs []value
		var err error
		exc := exceptions.Try(func() { outs, err = b.emit(n) })
		if exc != nil {
			err = fmt.Errorf("%v", exc)
		}
		if err != nil {
			return nil, fmt.Errorf("tfjs: node %q (%s): %w", n.Name, n.Op, err)
		}
		b.values[n.Name] = outs
	}
	res := make([]*graph.Node, len(g.model.Outputs))
	for i, out := range g.model.Outputs {
		v, err := b.ref(out.Name)
		if err != nil {
			return nil, fmt.Errorf("tfjs: output %q: %w", out.Name, err)
		}
		res[i] = b.node(v)
	}
	return res, nil
}

// needed returns which nodes the outputs read when the given nodes' values are known (nil when
// none is given: all of g.order).
func (g *Graph) needed(given map[string]*graph.Node) []bool {
	if len(given) == 0 {
		return nil
	}
	need := make([]bool, len(g.model.Nodes))
	var stack []int
	for _, out := range g.model.Outputs {
		name, _, _ := splitRef(out.Name)
		stack = append(stack, g.index[name])
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if need[i] {
			continue
		}
		need[i] = true
		n := &g.model.Nodes[i]
		if _, ok := given[n.Name]; ok {
			continue
		}
		for _, in := range n.Inputs {
			ref, _, _ := splitRef(in)
			stack = append(stack, g.index[ref])
		}
	}
	return need
}

// value is the output of a node: a Tensor known on the host, or a graph node.
type value struct {
	h *Tensor
	n *graph.Node
}

func (v value) dtype() DType {
	if v.h != nil {
		return v.h.DType
	}
	return fromGoMLX(v.n.DType())
}

func (v value) shape() []int {
	if v.h != nil {
		return v.h.Shape
	}
	return v.n.Shape().Dimensions
}

// builder holds the values of one Build.
type builder struct {
	g      *Graph
	gr     *graph.Graph
	values map[string][]value
	lifted map[*Tensor]*graph.Node
}

// ref returns the value "node" or "node:k".
func (b *builder) ref(r string) (value, error) {
	name, k, err := splitRef(r)
	if err != nil {
		return value{}, err
	}
	outs, ok := b.values[name]
	if !ok {
		return value{}, fmt.Errorf("%q is used before it is computed", name)
	}
	if k >= len(outs) {
		return value{}, fmt.Errorf("%q has %d outputs, output %d read", name, len(outs), k)
	}
	return outs[k], nil
}

// node returns v as a graph node, making host values constants (once each).
func (b *builder) node(v value) *graph.Node {
	if v.n != nil {
		return v.n
	}
	if n, ok := b.lifted[v.h]; ok {
		return n
	}
	var t *tensors.Tensor
	switch v.h.DType {
	case Int32:
		d := make([]int32, len(v.h.Values))
		for i, x := range v.h.Values {
			d[i] = int32(x)
		}
		t = tensors.FromFlatDataAndDimensions(d, v.h.Shape...)
	case Bool:
		d := make([]bool, len(v.h.Values))
		for i, x := range v.h.Values {
			d[i] = x != 0
		}
		t = tensors.FromFlatDataAndDimensions(d, v.h.Shape...)
	default:
		d := make([]float32, len(v.h.Values))
		for i, x := range v.h.Values {
			d[i] = float32(x)
		}
		t = tensors.FromFlatDataAndDimensions(d, v.h.Shape...)
	}
	n := graph.ConstTensor(b.gr, t)
	b.lifted[v.h] = n
	return n
}

// emit evaluates node n from its inputs.
func (b *builder) emit(n *Node) ([]value, error) {
	in := make([]value, len(n.Inputs))
	for i, r := range n.Inputs {
		v, err := b.ref(r)
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
		in[i] = v
	}
	op := ops[n.Op]
	if op.inputs >= 0 && len(in) != op.inputs {
		return nil, fmt.Errorf("%d inputs, want %d", len(in), op.inputs)
	}
	if op.inputs < 0 && len(in) < -op.inputs {
		return nil, fmt.Errorf("%d inputs, want at least %d", len(in), -op.inputs)
	}
	return op.fn(b, n, in)
}

func toGoMLX(d DType) dtypes.DType {
	switch d {
	case Int32:
		return dtypes.Int32
	case Bool:
		return dtypes.Bool
	}
	return dtypes.Float32
}

func fromGoMLX(d dtypes.DType) DType {
	switch d {
	case dtypes.Int32:
		return Int32
	case dtypes.Bool:
		return Bool
	}
	return Float32
}
