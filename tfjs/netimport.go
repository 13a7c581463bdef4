package tfjs

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/nets/layers"
)

// NetPart is the convolutional part of a graph model translated into the project's network
// description, with its weights as values of the description's variables (TensorFlow's folded
// batch norms included; Balance rescales them, exactly, for training).
type NetPart struct {
	Net *nets.Net
	// Weights are the values of Net's variables by path: "/<layer>/weights" [k, k, in/groups, out]
	// and "/<layer>/biases" [out], as package nets/layers names them.
	Weights map[string]*Tensor
	// Layer maps the translated graph nodes to the names of their layers.
	Layer map[string]string
}

// ImportNet translates the nodes of g between node from (whose value becomes the network's input,
// e.g. the normalized image) and the nodes to (the outputs wanted, e.g. the heads before their
// decoding) into a nets.Net for inputH×inputW inputs, named name, whose heatmap head is the layer
// of node heatmaps (joints channels) and whose mask head, when mask is not empty, that of node
// mask. Convolutions (plain, fused with a bias and ReLU, ReLU6 or sigmoid, and depthwise), sums
// and 2× bilinear upsampling translate; any other node in between is refused by name.
// TensorFlow's "SAME" padding, which pads a strided convolution of an even size only after the
// input, becomes nets.PadSame where it differs from the description's symmetric padding; the
// description is then exact for the input size given, and for any size whose strided layers see
// the same parities (multiples of 32 for MoveNet).
func (g *Graph) ImportNet(name, from string, to []string, heatmaps, mask string, joints, inputH, inputW int) (*NetPart, error) {
	if _, ok := g.index[from]; !ok {
		return nil, fmt.Errorf("tfjs import net: %q is not a node", from)
	}
	// The nodes between from and to: reachable backwards from to without passing from.
	need := map[string]bool{}
	stack := append([]string{}, to...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == from || need[n] {
			continue
		}
		i, ok := g.index[n]
		if !ok {
			return nil, fmt.Errorf("tfjs import net: %q is not a node", n)
		}
		node := &g.model.Nodes[i]
		if node.Op == "Const" {
			continue
		}
		if node.Op == "Placeholder" {
			return nil, fmt.Errorf("tfjs import net: node %q reads the model's input without passing %q", n, from)
		}
		need[n] = true
		ins := node.Inputs
		if node.Op == "ResizeBilinear" && len(ins) > 1 {
			ins = ins[:1] // the size is shape arithmetic, evaluated on the host (hostValue)
		}
		for _, in := range ins {
			ref, _, _ := splitRef(in)
			stack = append(stack, ref)
		}
	}
	p := &NetPart{Weights: map[string]*Tensor{}, Layer: map[string]string{from: nets.Input}}
	net := &nets.Net{Name: name, InputChannels: 0, InputMultiple: 32, Joints: joints}
	size := map[string][2]int{from: {inputH, inputW}}
	chans := map[string]int{}
	// The input's channels: the first convolution's kernel says.
	for _, i := range allOrder(g) {
		n := &g.model.Nodes[i]
		if !need[n.Name] {
			continue
		}
		l, err := g.importLayer(n, p, size, chans)
		if err != nil {
			return nil, fmt.Errorf("tfjs import net: node %q (%s): %w", n.Name, n.Op, err)
		}
		net.Layers = append(net.Layers, l)
		p.Layer[n.Name] = l.Name
	}
	net.InputChannels = chans[from]
	net.Heads.Heatmaps = p.Layer[heatmaps]
	if mask != "" {
		net.Heads.Mask = p.Layer[mask]
	}
	if _, err := net.Shapes(inputH, inputW); err != nil {
		return nil, fmt.Errorf("tfjs import net: %w", err)
	}
	p.Net = net
	return p, nil
}

// translatable reports whether ImportNet translates an operation.
func translatable(op string) bool {
	switch op {
	case "AddV2", "Add", "ResizeBilinear", "Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative":
		return true
	}
	return false
}

// Heads returns the nodes where the convolutional part that starts at node from ends: the
// translatable nodes (convolutions, sums, resizes) that read from from, directly or through other
// translatable nodes, and whose value some other operation reads (not just its shape). They are what ImportNet's to
// wants for the whole convolutional part (MoveNet: its heads before their decoding), in the
// graph's order.
func (g *Graph) Heads(from string) []string {
	readers := map[string][]int{}
	for i, n := range g.model.Nodes {
		for _, in := range n.Inputs {
			ref, _, _ := splitRef(in)
			readers[ref] = append(readers[ref], i)
		}
	}
	inPart := map[string]bool{from: true}
	var out []string
	for _, i := range allOrder(g) {
		n := &g.model.Nodes[i]
		if !translatable(n.Op) || len(n.Inputs) == 0 {
			continue
		}
		first, _, _ := splitRef(n.Inputs[0])
		if !inPart[first] {
			continue
		}
		inPart[n.Name] = true
		for _, r := range readers[n.Name] {
			// Shape and Size read only the shape, which the imported net keeps.
			if op := g.model.Nodes[r].Op; !translatable(op) && op != "Shape" && op != "Size" {
				out = append(out, n.Name)
				break
			}
		}
	}
	return out
}

// allOrder returns every node index of g in an order where inputs come first.
func allOrder(g *Graph) []int {
	seen := make([]bool, len(g.model.Nodes))
	var out []int
	type frame struct{ node, next int }
	for root := range g.model.Nodes {
		if seen[root] {
			continue
		}
		seen[root] = true
		stack := []frame{{root, 0}}
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			n := &g.model.Nodes[top.node]
			if top.next < len(n.Inputs) {
				ref, _, _ := splitRef(n.Inputs[top.next])
				top.next++
				if j, ok := g.index[ref]; ok && !seen[j] {
					seen[j] = true
					stack = append(stack, frame{j, 0})
				}
				continue
			}
			out = append(out, top.node)
			stack = stack[:len(stack)-1]
		}
	}
	return out
}

// layerName turns a node name into a layer name (no "/").
func layerName(node string) string {
	return strings.ReplaceAll(strings.TrimPrefix(node, "StatefulPartitionedCall/"), "/", ".")
}

// hostValue evaluates node name on the host, as a graph build would (see fold.go): constants,
// and the shapes of translated layers (batch 1) through shape arithmetic.
func (g *Graph) hostValue(name string, size map[string][2]int, chans map[string]int, memo map[string]*Tensor) (t *Tensor, err error) {
	if t, ok := memo[name]; ok {
		return t, nil
	}
	if w, ok := g.weights[name]; ok {
		return w, nil
	}
	i, ok := g.index[name]
	if !ok {
		return nil, fmt.Errorf("%q is not a node", name)
	}
	n := &g.model.Nodes[i]
	if len(memo) > 1000 {
		return nil, fmt.Errorf("shape arithmetic too deep")
	}
	var ins []value
	for _, in := range n.Inputs {
		ref, k, _ := splitRef(in)
		if n.Op == "Shape" || n.Op == "Size" {
			s, ok := size[ref]
			if !ok {
				return nil, fmt.Errorf("node %q reads the shape of %q, not a translated layer", n.Name, ref)
			}
			dims := []int{1, s[0], s[1], chans[ref]}
			ins = append(ins, value{h: &Tensor{DType: Float32, Shape: dims, Values: nil}})
			continue
		}
		v, err := g.hostValue(ref, size, chans, memo)
		if err != nil {
			return nil, err
		}
		if k != 0 {
			return nil, fmt.Errorf("node %q reads output %d of %q", n.Name, k, ref)
		}
		ins = append(ins, value{h: v})
	}
	op, ok := ops[n.Op]
	if !ok {
		return nil, fmt.Errorf("node %q: op %s: %w", n.Name, n.Op, ErrUnsupported)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("node %q (%s) is not shape arithmetic: %v", n.Name, n.Op, r)
		}
	}()
	outs, err := op.fn(&builder{g: g}, n, ins)
	if err != nil {
		return nil, fmt.Errorf("node %q (%s): %w", n.Name, n.Op, err)
	}
	if len(outs) != 1 || outs[0].h == nil {
		return nil, fmt.Errorf("node %q (%s) is not shape arithmetic", n.Name, n.Op)
	}
	memo[name] = outs[0].h
	return outs[0].h, nil
}

// importLayer translates one node into a layer, recording its weights, output size and channels.
func (g *Graph) importLayer(n *Node, p *NetPart, size map[string][2]int, chans map[string]int) (nets.Layer, error) {
	l := nets.Layer{Name: layerName(n.Name)}
	var ins []string
	for _, in := range n.Inputs {
		ref, k, _ := splitRef(in)
		if k != 0 {
			return l, fmt.Errorf("reads output %d of %q", k, ref)
		}
		ins = append(ins, ref)
	}
	layerOf := func(ref string) (string, error) {
		name, ok := p.Layer[ref]
		if !ok {
			return "", fmt.Errorf("input %q is not a translated layer", ref)
		}
		return name, nil
	}
	switch n.Op {
	case "AddV2", "Add":
		if len(ins) != 2 {
			return l, fmt.Errorf("%d inputs", len(ins))
		}
		l.Op = nets.OpAdd
		for _, in := range ins {
			name, err := layerOf(in)
			if err != nil {
				return l, err
			}
			l.Inputs = append(l.Inputs, name)
		}
		size[n.Name], chans[n.Name] = size[ins[0]], chans[ins[0]]
		return l, nil
	case "ResizeBilinear":
		in, err := layerOf(ins[0])
		if err != nil {
			return l, err
		}
		w, err := g.hostValue(ins[1], size, chans, map[string]*Tensor{})
		if err != nil {
			return l, fmt.Errorf("the size: %w", err)
		}
		s := size[ins[0]]
		if len(w.Values) != 2 || int(w.Values[0]) != 2*s[0] || int(w.Values[1]) != 2*s[1] ||
			!n.attrBool("half_pixel_centers") || n.attrBool("align_corners") {
			return l, fmt.Errorf("only a 2× resize with half-pixel centers translates: %w", ErrUnsupported)
		}
		l.Op, l.Inputs, l.Resize = nets.OpUpsample, []string{in}, layers.Bilinear
		size[n.Name], chans[n.Name] = [2]int{2 * s[0], 2 * s[1]}, chans[ins[0]]
		return l, nil
	case "Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative":
	default:
		return l, fmt.Errorf("op %s: %w (only convolutions, sums and 2× upsampling)", n.Op, ErrUnsupported)
	}
	in, err := layerOf(ins[0])
	if err != nil {
		return l, err
	}
	k, ok := g.weights[ins[1]]
	if !ok || len(k.Shape) != 4 {
		return l, fmt.Errorf("the filter is not a 4D weight")
	}
	kh, kw, ci, co := k.Shape[0], k.Shape[1], k.Shape[2], k.Shape[3]
	depthwise := strings.HasPrefix(n.Op, "Depthwise") || strings.HasPrefix(n.Op, "FusedDepthwise")
	if prev, ok := chans[ins[0]]; ok && prev != ci {
		return l, fmt.Errorf("filter %v for %d channels", k.Shape, prev)
	}
	chans[ins[0]] = ci
	s := size[ins[0]]
	win, err := window(n, s[0], s[1], kh, kw)
	if err != nil {
		return l, err
	}
	if kh != kw || kh%2 == 0 {
		return l, fmt.Errorf("kernel %d×%d: %w (only odd square kernels)", kh, kw, ErrUnsupported)
	}
	pad := (kh - 1) / 2
	symmetric := win.PadTop == pad && win.PadLeft == pad &&
		win.OutH == (s[0]+2*pad-kh)/win.Stride+1 && win.OutW == (s[1]+2*pad-kw)/win.Stride+1
	same := win.OutH == (s[0]+win.Stride-1)/win.Stride && win.OutW == (s[1]+win.Stride-1)/win.Stride &&
		win.PadTop == max((win.OutH-1)*win.Stride+kh-s[0], 0)/2 && win.PadLeft == max((win.OutW-1)*win.Stride+kw-s[1], 0)/2
	switch {
	case symmetric:
	case same:
		l.Pad = nets.PadSame
	default:
		return l, fmt.Errorf("padding %+v of a %d×%d input: %w", win, s[0], s[1], ErrUnsupported)
	}
	l.Op, l.Inputs, l.Kernel, l.Stride = nets.OpConv, []string{in}, kh, win.Stride
	out := co
	if depthwise {
		if co != 1 {
			return l, fmt.Errorf("channel multiplier %d: %w", co, ErrUnsupported)
		}
		l.Groups, out = ci, ci
	}
	l.Out = out
	// The description's layout [k, k, in/groups, out] is TensorFlow's, and a depthwise filter
	// [k, k, C, 1] is [k, k, 1, C] in memory.
	inG := ci
	if depthwise {
		inG = 1
	}
	wt := &Tensor{DType: Float32, Shape: []int{kh, kw, inG, out}, Values: k.Values}
	p.Weights["/"+l.Name+"/weights"] = wt
	if strings.HasPrefix(n.Op, "_Fused") || strings.HasPrefix(n.Op, "FusedDepthwise") {
		fused, err := n.attrStrings("fused_ops")
		if err != nil {
			return l, err
		}
		if len(fused) == 0 || fused[0] != "BiasAdd" || len(fused) > 2 || len(ins) != 3 {
			return l, fmt.Errorf("fused operations %v: %w", fused, ErrUnsupported)
		}
		b, ok := g.weights[ins[2]]
		if !ok || len(b.Values) != out {
			return l, fmt.Errorf("the bias is not a weight of %d values", out)
		}
		l.Bias = true
		p.Weights["/"+l.Name+"/biases"] = b
		if len(fused) == 2 {
			switch fused[1] {
			case "Relu":
				l.Act = layers.ReLU
			case "Relu6":
				l.Act = layers.ReLU6
			case "Sigmoid":
				l.Act = layers.Sigmoid
			default:
				return l, fmt.Errorf("fused activation %s: %w", fused[1], ErrUnsupported)
			}
		}
	} else if len(ins) != 2 {
		return l, fmt.Errorf("%d inputs", len(ins))
	}
	size[n.Name], chans[n.Name] = [2]int{win.OutH, win.OutW}, out
	return l, nil
}

// NewStore returns a store holding the imported weights, as float32, as the description's
// variables.
func (p *NetPart) NewStore() (*model.Store, error) {
	store := model.NewStore()
	for path, v := range p.Weights {
		f := make([]float32, len(v.Values))
		for i, x := range v.Values {
			f[i] = float32(x)
		}
		if _, err := store.CreateVariable(path, tensors.FromFlatDataAndDimensions(f, v.Shape...)); err != nil {
			return nil, fmt.Errorf("tfjs import net %s: variable %s: %w", p.Net.Name, path, err)
		}
	}
	return store, nil
}
