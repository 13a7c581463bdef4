package nets

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets/layers"
)

// Outputs are the graph nodes of a network's heads; Locations and Mask are nil when the network has
// no such head.
type Outputs struct {
	Heatmaps  *graph.Node // [N, H/4, W/4, Joints]
	Locations *graph.Node // [N, H/4, W/4, 3·Joints]: X maps of all joints, then Y, then Z
	Mask      *graph.Node // [N, H/4, W/4, 1] segmentation logits
	Offsets   *graph.Node // [N, H/4, W/4, 2·Joints] MoveNet offsets (Heads.Offsets)
	// Regression is MoveNet's keypoint regression [N, H/4, W/4, 2·Joints] (Heads.Regression).
	Regression *graph.Node
	Extra      []*graph.Node // the Heads.Extra layers' outputs, in order
}

// Build adds the network to the graph of images [N, H, W, InputChannels] (float32, NHWC, normalized as
// the caller's training data is) and returns its outputs. Variables are created (or reused) under
// scope, one sub-scope per layer named after it. In training mode batch norm uses batch statistics
// and records updates of its running statistics; in inference mode it is folded into the weights.
//
// The description is validated first; errors from GoMLX while building are returned, not panicked.
func Build(scope *model.Scope, net *Net, images *graph.Node, training bool) (Outputs, error) {
	return BuildWith(scope, net, images, training, BuildOptions{})
}

// BuildOptions customize how BuildWith builds a network's layers.
type BuildOptions struct {
	// Layer, when set, stands in for the building of every layer, in the order of net.Layers:
	// scope is the layer's scope, ins its inputs, and build builds the layer as Build does (call
	// it once). What Layer returns becomes the layer's output, seen by the layers that take it
	// and by the heads. It lets a caller change what the layer's variables read as while build
	// runs (fake-quantized weights), transform or record the output (fake-quantized activations,
	// calibration), without a copy of the layers' code. A panic in it becomes BuildWith's error.
	Layer func(scope *model.Scope, l *Layer, ins []*graph.Node, build func() *graph.Node) *graph.Node
}

// BuildWith is Build with opts: a zero BuildOptions builds exactly what Build does.
func BuildWith(scope *model.Scope, net *Net, images *graph.Node, training bool, opts BuildOptions) (out Outputs, err error) {
	dims := images.Shape().Dimensions
	if len(dims) != 4 {
		return Outputs{}, fmt.Errorf("build %s: images must be [N, H, W, C], got shape %s", net.Name, images.Shape())
	}
	if dims[3] != net.InputChannels {
		return Outputs{}, fmt.Errorf("build %s: images have %d channels, the net takes %d", net.Name, dims[3], net.InputChannels)
	}
	if _, err := net.Shapes(dims[1], dims[2]); err != nil {
		return Outputs{}, fmt.Errorf("build: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("build %s: %v", net.Name, r)
		}
	}()
	nodes := map[string]*graph.Node{Input: images}
	for i := range net.Layers {
		l := &net.Layers[i]
		ins := make([]*graph.Node, len(l.Inputs))
		for j, name := range l.Inputs {
			ins[j] = nodes[name]
		}
		ls := scope.At("%s", l.Name)
		build := func() *graph.Node { return buildLayer(ls, l, ins, training, net.Heads.has(l.Name)) }
		if opts.Layer == nil {
			nodes[l.Name] = build()
			continue
		}
		y := opts.Layer(ls, l, ins, build)
		if y == nil {
			return Outputs{}, fmt.Errorf("build %s: layer %s: the Layer option returned no node", net.Name, l.Name)
		}
		nodes[l.Name] = y
	}
	out.Heatmaps = nodes[net.Heads.Heatmaps]
	if net.Heads.Locations != "" {
		out.Locations = nodes[net.Heads.Locations]
	}
	if net.Heads.Mask != "" {
		out.Mask = nodes[net.Heads.Mask]
	}
	if net.Heads.Offsets != "" {
		out.Offsets = nodes[net.Heads.Offsets]
	}
	if net.Heads.Regression != "" {
		out.Regression = nodes[net.Heads.Regression]
	}
	for _, name := range net.Heads.Extra {
		out.Extra = append(out.Extra, nodes[name])
	}
	return out, nil
}

// HeadInitStd is the standard deviation of the normal distribution that initializes the weights of
// an output head's convolution (its bias starts at zero), as MMPose initializes its heatmap heads.
// With He initialization instead, a fresh net predicts heatmaps ~30× as far from the targets as
// all zeros, and training sat for hundreds of steps on the "predict zeros" plateau.
const HeadInitStd = 0.001

// buildLayer builds one validated layer; head marks a layer that is one of the net's outputs.
func buildLayer(scope *model.Scope, l *Layer, ins []*graph.Node, training, head bool) *graph.Node {
	switch l.Op {
	case OpConv:
		c := layers.Conv(scope, ins[0]).Channels(l.Out).Kernel(l.KernelSize()).Stride(l.StrideSize()).
			Groups(l.GroupCount()).Bias(l.Bias).BatchNorm(l.BN).Activation(l.Act).Training(training).
			SamePadding(l.Pad == PadSame)
		if l.Pad == PadValid {
			c = c.Padding(0)
		}
		if head {
			c = c.InitStd(HeadInitStd)
		}
		return c.Done()
	case OpDeconv:
		return layers.Deconv(scope, ins[0]).Channels(l.Out).Bias(l.Bias).BatchNorm(l.BN).
			Activation(l.Act).Training(training).Done()
	case OpUpsample:
		return layers.Upsample2x(ins[0], l.Resize)
	case OpMaxPool:
		return layers.MaxPool(ins[0], l.KernelSize(), l.StrideSize())
	case OpAdd:
		sum := ins[0]
		for _, x := range ins[1:] {
			sum = graph.Add(sum, x)
		}
		return layers.Apply(l.Act, sum)
	case OpConcat:
		return graph.Concatenate(ins, 3)
	case OpPad:
		x := ins[0]
		return graph.Pad(x, graph.ScalarZero(x.Graph(), x.DType()),
			graph.PadAxis{}, graph.PadAxis{}, graph.PadAxis{}, graph.PadAxis{End: l.Out - x.Shape().Dimensions[3]})
	}
	panic(fmt.Sprintf("unknown op %q", string(l.Op)))
}

// has reports whether the layer called name is one of the heads (extra heads included).
func (h Heads) has(name string) bool {
	if name == "" {
		return false
	}
	for _, e := range h.Extra {
		if name == e {
			return true
		}
	}
	return name == h.Heatmaps || name == h.Locations || name == h.Mask || name == h.Offsets || name == h.Regression
}

// Layers returns the names of the head layers, in the order of Outputs.List (heatmaps, locations,
// mask, offsets, regression; those the net has), then the extra heads.
func (h Heads) Layers() []string {
	var out []string
	for _, name := range []string{h.Heatmaps, h.Locations, h.Mask, h.Offsets, h.Regression} {
		if name != "" {
			out = append(out, name)
		}
	}
	return append(out, h.Extra...)
}
