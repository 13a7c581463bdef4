package layers

import (
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Taps as runs: the padded input is laid out as a matrix whose rows are the phase rows of the grid,
// [N·planesH·stride·stride, planesW·C] (row ((n·planesH + r)·stride + py)·stride + px holds plane row r
// of phase (py, px)), so that row i of tap (dy, dx) is one contiguous run of outW·C values, and a
// Gather copies a tap run by run.

// rows returns x [N, H, W, C] padded and laid out as the matrix of phase rows.
func (g grid) rows(x *graph.Node) *graph.Node {
	c := x.Shape().Dimensions[3]
	s := g.w.stride
	x6 := g.split(x)
	if s == 1 {
		return graph.Reshape(x6, g.n*g.planesH, g.planesW*c)
	}
	t := graph.Transpose(graph.Reshape(x6, g.n*g.planesH*s, g.planesW, s, c), 1, 2)
	return graph.Reshape(t, g.n*g.planesH*s*s, g.planesW*c)
}

// runStarts returns the constant [N, outH, taps, 2] start (row, column) of every run of every tap in
// the matrix of phase rows of an input with c channels.
func (g grid) runStarts(gr *graph.Graph, c int) *graph.Node {
	s := g.w.stride
	numTaps := g.w.kernelH * g.w.kernelW
	data := make([]int32, 0, numTaps*g.n*g.w.outH*2)
	for n := range g.n {
		for i := range g.w.outH {
			for dy := range g.w.kernelH {
				for dx := range g.w.kernelW {
					row := ((n*g.planesH+i+dy/s)*s+dy%s)*s + dx%s
					data = append(data, int32(row), int32(dx/s*c))
				}
			}
		}
	}
	return graph.ConstTensor(gr, tensors.FromFlatDataAndDimensions(data, g.n, g.w.outH, numTaps, 2))
}

// taps returns the kernelH·kernelW taps of x [N, H, W, C] in (dy, dx) order, each [N, outH, outW, C]:
// tap (dy, dx)[n, i, j, c] = padded x[n, stride·i + dy, stride·j + dx, c]. Their gradient is not
// defined when stop is set (a StopGradient cuts it, for hand-written gradients: see scatter);
// otherwise GoMLX's gradient (a ScatterSum per tap, and an element-by-element Slice to undo the padding)
// is correct but slower.
func (g grid) taps(x *graph.Node, stop bool) []*graph.Node {
	if g.identity {
		return []*graph.Node{x}
	}
	c := x.Shape().Dimensions[3]
	if stop {
		x = graph.StopGradient(x)
	}
	if !gathers(x.Graph()) {
		return g.slicedTaps(x)
	}
	r := g.rows(x)
	starts := g.runStarts(x.Graph(), c) // [N, outH, taps, 2]
	numTaps := g.w.kernelH * g.w.kernelW
	taps := make([]*graph.Node, numTaps)
	for t := range numTaps {
		st := graph.Reshape(graph.Slice(starts, graph.AxisRange(), graph.AxisRange(), graph.AxisElem(t)), g.n, g.w.outH, 2)
		taps[t] = graph.Reshape(graph.GatherSlices(r, []int{0, 1}, st, []int{1, g.w.outW * c}, true), g.n, g.w.outH, g.w.outW, c)
	}
	return taps
}

// crop returns x[:, top:top+h, left:left+w, :] of x [N, H, W, C], copied run by run by a Gather.
func crop(x *graph.Node, top, left, h, w int) *graph.Node {
	d := x.Shape().Dimensions
	n, height, width, c := d[0], d[1], d[2], d[3]
	if top == 0 && left == 0 && h == height && w == width {
		return x
	}
	if !gathers(x.Graph()) {
		return graph.Slice(x, graph.AxisRange(), graph.AxisRange(top, top+h), graph.AxisRange(left, left+w), graph.AxisRange())
	}
	starts := make([]int32, 0, n*h*2)
	for b := range n {
		for i := range h {
			starts = append(starts, int32(b*height+top+i), int32(left*c))
		}
	}
	st := graph.ConstTensor(x.Graph(), tensors.FromFlatDataAndDimensions(starts, n, h, 2))
	r := graph.GatherSlices(graph.Reshape(x, n*height, width*c), []int{0, 1}, st, []int{1, w * c}, true)
	return graph.Reshape(r, n, h, w, c)
}

// gathers reports whether crops and taps should be Gathers: on the go backend, where they are fastest.
// Other backends get plain Slices: the ONNX backend does not implement a Gather of runs.
func gathers(g *graph.Graph) bool {
	return g.Backend().String() == gobackend.BackendName
}

// slicedTaps returns the same taps as taps, as Slices of the phase view of the padded input.
func (g grid) slicedTaps(x *graph.Node) []*graph.Node {
	c := x.Shape().Dimensions[3]
	s := g.w.stride
	x6 := g.split(x)
	taps := make([]*graph.Node, 0, g.w.kernelH*g.w.kernelW)
	for dy := range g.w.kernelH {
		for dx := range g.w.kernelW {
			t := graph.Slice(x6, graph.AxisRange(), graph.AxisRange(dy/s, dy/s+g.w.outH), graph.AxisElem(dy%s),
				graph.AxisRange(dx/s, dx/s+g.w.outW), graph.AxisElem(dx%s), graph.AxisRange())
			taps = append(taps, graph.Reshape(t, g.n, g.w.outH, g.w.outW, c))
		}
	}
	return taps
}
