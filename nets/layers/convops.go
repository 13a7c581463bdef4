package layers

import (
	"github.com/gomlx/gomlx/core/graph"
)

// The convolutions below are lowered to crops, multiplies and matrix products: what is fast on the
// go backend. With custom set, their gradients are written by hand (see customGradient and grid).

// convDense is a dense (one group) convolution of x [N, H, W, C] by kernel [kh, kw, C, out]: im2col
// (the taps concatenated on the channel axis, in the kernel's (dy, dx, c) row order) times the
// kernel as a [kh·kw·C, out] matrix.
func convDense(w window, x, kernel *graph.Node, custom bool) *graph.Node {
	xd := x.Shape().Dimensions
	kd := kernel.Shape().Dimensions
	n, c, out := xd[0], xd[3], kd[3]
	g := newGrid(w, n, xd[1], xd[2])
	if g.identity {
		return matmulChannels(x, graph.Reshape(kernel, c, out), custom)
	}
	numTaps := w.kernelH * w.kernelW
	m := n * w.outH * w.outW
	var cols *graph.Node // [M, kh·kw·C], kept for the weights' gradient
	im2col := func(x *graph.Node, stop bool) *graph.Node {
		taps := g.taps(x, stop)
		col := taps[0]
		if len(taps) > 1 {
			col = graph.Concatenate(taps, 3)
		}
		return graph.Reshape(col, m, numTaps*c)
	}
	forward := func(in []*graph.Node, zero *graph.Node) *graph.Node {
		cols = im2col(in[0], zero != nil)
		k := addZero(graph.Reshape(in[1], numTaps*c, out), zero)
		return graph.Reshape(graph.DotGeneral(cols, []int{1}, nil, k, []int{0}, nil), n, w.outH, w.outW, out)
	}
	if !custom {
		if direct := convDenseDirect(w, x, kernel); direct != nil {
			// The direct convolution in an inference graph, with the lowering's gradient should
			// the graph be differentiated: GoMLX's own gradient of ConvGeneral is wrong or
			// refused for some windows (an even kernel padded on one side).
			forward = func(in []*graph.Node, zero *graph.Node) *graph.Node {
				cols = nil // the backward pass builds them
				return graph.Add(direct(graph.StopGradient(in[0]), graph.StopGradient(in[1])), zero)
			}
			custom = true
		}
	}
	backward := func(in []*graph.Node, v *graph.Node) []*graph.Node {
		if cols == nil {
			cols = im2col(in[0], true)
		}
		v2 := graph.Reshape(v, m, out)
		k := graph.Reshape(in[1], numTaps*c, out)
		dcols := graph.DotGeneral(v2, []int{1}, nil, k, []int{1}, nil) // [M, kh·kw·C]
		adjoints := make([]*graph.Node, numTaps)
		if numTaps == 1 {
			adjoints[0] = graph.Reshape(dcols, n, w.outH, w.outW, c)
		} else {
			d4 := graph.Reshape(dcols, m, numTaps, 1, c)
			for t := range numTaps {
				adjoints[t] = graph.Reshape(crop(d4, t, 0, 1, 1), n, w.outH, w.outW, c)
			}
		}
		dk := graph.Reshape(weightGradient(cols, v2), kd...)
		return []*graph.Node{g.scatter(adjoints), dk}
	}
	return handWritten(custom, []*graph.Node{x, kernel}, forward, backward)
}

// convDepthwise is a depthwise convolution of x [N, H, W, C] by kernel [kh, kw, 1, C]: the sum of the
// taps, each scaled by its per-channel weight.
func convDepthwise(w window, x, kernel *graph.Node, custom bool) *graph.Node {
	if nativeDepthwise(x.Graph()) {
		if y := convDepthwiseNative(w, x, kernel, custom); y != nil {
			return y
		}
	}
	xd := x.Shape().Dimensions
	c := xd[3]
	g := newGrid(w, xd[0], xd[1], xd[2])
	tapKernel := func(k *graph.Node, dy, dx int) *graph.Node {
		return graph.Reshape(graph.Slice(k, graph.AxisElem(dy), graph.AxisElem(dx)), 1, 1, 1, c)
	}
	var taps []*graph.Node // kept for the weights' gradient
	forward := func(in []*graph.Node, zero *graph.Node) *graph.Node {
		taps = g.taps(in[0], zero != nil)
		k := addZero(in[1], zero)
		var sum *graph.Node
		for dy := range w.kernelH {
			for dx := range w.kernelW {
				term := graph.Mul(taps[dy*w.kernelW+dx], tapKernel(k, dy, dx))
				if sum == nil {
					sum = term
				} else {
					sum = graph.Add(sum, term)
				}
			}
		}
		return sum
	}
	backward := func(in []*graph.Node, v *graph.Node) []*graph.Node {
		dk := make([]*graph.Node, len(taps))
		for t, tap := range taps {
			dk[t] = graph.ReduceSum(graph.Mul(v, tap), 0, 1, 2)
		}
		dx := g.correlate(v, func(dy, dx int) *graph.Node { return tapKernel(in[1], dy, dx) })
		return []*graph.Node{dx, graph.Reshape(graph.Stack(dk, 0), in[1].Shape().Dimensions...)}
	}
	return handWritten(custom, []*graph.Node{x, kernel}, forward, backward)
}

// convGrouped runs one dense convolution per channel group and concatenates the results.
func convGrouped(w window, x, kernel *graph.Node, groups int, custom bool) *graph.Node {
	in := x.Shape().Dimensions[3]
	out := kernel.Shape().Dimensions[3]
	gi, gout := in/groups, out/groups
	parts := make([]*graph.Node, groups)
	for i := range groups {
		xg := graph.SliceAxis(x, 3, graph.AxisRange(i*gi, (i+1)*gi))
		kg := graph.SliceAxis(kernel, 3, graph.AxisRange(i*gout, (i+1)*gout))
		parts[i] = convDense(w, xg, kg, custom)
	}
	return graph.Concatenate(parts, 3)
}
