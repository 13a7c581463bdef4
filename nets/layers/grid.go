package layers

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// grid lays a strided window over an NHWC input so that every tap is a plain crop: the input is
// zero-padded to stride·planes rows (and columns) and viewed as [N, planesH, stride, planesW, stride,
// C], where row stride·i + dy is plane row i + dy/stride in phase dy%stride. The tap of kernel element
// (dy, dx) is then a crop of one phase, which a Gather copies run by run (see rows.go); the go
// backend's Slice copies element by element, 2–5× slower, and a negative Pad first fills its output
// with zeros (and GoMLX's gradient of a negative Pad is wrong). The operations that use taps write
// their gradients by hand: scatter below is the transpose of taps.
type grid struct {
	w                  window
	n, h, wd           int // input batch, height, width
	planesH, planesW   int // rows / columns of one phase plane
	endH, endW         int // zero padding after the input, so that stride·planes = pad + size + end
	identity, noPhases bool
	fill               float64 // padding value (0; −∞ for max pooling)
}

// newGrid returns the grid of window w over an input [n, h, wd, ·].
func newGrid(w window, n, h, wd int) grid {
	s := w.stride
	ph := max(w.outH+(w.kernelH-1)/s, (h+w.padH+s-1)/s)
	pw := max(w.outW+(w.kernelW-1)/s, (wd+w.padW+s-1)/s)
	g := grid{w: w, n: n, h: h, wd: wd, planesH: ph, planesW: pw,
		endH: s*ph - h - w.padH, endW: s*pw - wd - w.padW}
	g.noPhases = s == 1
	g.identity = w.kernelH == 1 && w.kernelW == 1 && s == 1 && w.padH == 0 && w.padW == 0
	return g
}

// split pads x [N, H, W, C] and views it as [N, planesH, stride, planesW, stride, C].
func (g grid) split(x *graph.Node) *graph.Node {
	c := x.Shape().Dimensions[3]
	if g.w.padH != 0 || g.w.padW != 0 || g.endH != 0 || g.endW != 0 {
		x = graph.Pad(x, graph.Scalar(x.Graph(), x.DType(), g.fill), graph.PadAxis{},
			graph.PadAxis{Start: g.w.padH, End: g.endH}, graph.PadAxis{Start: g.w.padW, End: g.endW}, graph.PadAxis{})
	}
	s := g.w.stride
	return graph.Reshape(x, g.n, g.planesH, s, g.planesW, s, c)
}

// scatter is the transpose of taps: given the adjoints of the taps (nil for none), each [N, outH,
// outW, C], it returns the adjoint of x [N, H, W, C]. Each phase plane sums the shifted adjoints of
// its taps; the planes are interleaved back and the padding cropped off.
func (g grid) scatter(adjoints []*graph.Node) *graph.Node {
	var c int
	var any *graph.Node
	for _, a := range adjoints {
		if a != nil {
			any, c = a, a.Shape().Dimensions[3]
			break
		}
	}
	if g.identity {
		return adjoints[0]
	}
	s := g.w.stride
	zero := graph.ScalarZero(any.Graph(), any.DType())
	planes := make([]*graph.Node, s*s)
	for dy := range g.w.kernelH {
		for dx := range g.w.kernelW {
			a := adjoints[dy*g.w.kernelW+dx]
			if a == nil {
				continue
			}
			shifted := graph.Pad(a, zero, graph.PadAxis{},
				graph.PadAxis{Start: dy / s, End: g.planesH - dy/s - g.w.outH},
				graph.PadAxis{Start: dx / s, End: g.planesW - dx/s - g.w.outW},
				graph.PadAxis{})
			p := (dy%s)*s + dx%s
			if planes[p] == nil {
				planes[p] = shifted
			} else {
				planes[p] = graph.Add(planes[p], shifted)
			}
		}
	}
	return g.assemble(planes, any.DType(), c)
}

// assemble interleaves the s·s phase planes [N, planesH, planesW, C] (nil for zeros) of the padded
// input back to [N, stride·planesH, stride·planesW, C] and crops the padding off: the inverse of split.
func (g grid) assemble(planes []*graph.Node, dtype dtypes.DType, c int) *graph.Node {
	s := g.w.stride
	var gr *graph.Graph
	for _, p := range planes {
		if p != nil {
			gr = p.Graph()
		}
	}
	var padded *graph.Node
	if g.noPhases {
		padded = planes[0]
	} else {
		for i, p := range planes {
			if p == nil {
				planes[i] = graph.Zeros(gr, shapes.Make(dtype, g.n, g.planesH, g.planesW, c))
			}
		}
		rows := make([]*graph.Node, s)
		for py := range s {
			rows[py] = graph.Stack(planes[py*s:(py+1)*s], 3) // [N, planesH, planesW, s, C]
		}
		padded = graph.Reshape(graph.Stack(rows, 2), g.n, s*g.planesH, s*g.planesW, c) // [N, planesH, s, planesW, s, C]
	}
	return crop(padded, g.w.padH, g.w.padW, g.h, g.wd)
}

// correlate is the transpose of the depthwise convolution's taps-times-weights: given the adjoint v
// [N, outH, outW, C] of the convolution's output and kernel(dy, dx), the [1, 1, 1, C] weights of tap
// (dy, dx), it returns the adjoint of its input [N, H, W, C]. Each phase plane is the sum, over the
// taps of its phase, of a crop of v (zero-padded once) times the tap's weights: crops rather than
// one padded copy per tap (see scatter), so no buffer is filled with zeros only to be overwritten.
func (g grid) correlate(v *graph.Node, kernel func(dy, dx int) *graph.Node) *graph.Node {
	s := g.w.stride
	c := v.Shape().Dimensions[3]
	ah, aw := (g.w.kernelH-1)/s, (g.w.kernelW-1)/s
	vp := v
	if ah != 0 || aw != 0 || g.planesH != g.w.outH || g.planesW != g.w.outW {
		vp = graph.Pad(v, graph.ScalarZero(v.Graph(), v.DType()), graph.PadAxis{},
			graph.PadAxis{Start: ah, End: g.planesH - g.w.outH}, graph.PadAxis{Start: aw, End: g.planesW - g.w.outW}, graph.PadAxis{})
	}
	planes := make([]*graph.Node, s*s)
	for dy := range g.w.kernelH {
		for dx := range g.w.kernelW {
			term := graph.Mul(crop(vp, ah-dy/s, aw-dx/s, g.planesH, g.planesW), kernel(dy, dx))
			p := (dy%s)*s + dx%s
			if planes[p] == nil {
				planes[p] = term
			} else {
				planes[p] = graph.Add(planes[p], term)
			}
		}
	}
	return g.assemble(planes, v.DType(), c)
}
