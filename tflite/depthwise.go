package tflite

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
)

// Convolution taps on the go backend. Its generic Slice copies element by element with an index
// odometer, while its Pad copies whole rows with copy() and accepts negative padding (cropping).
// So a kernel tap — the input shifted by the tap's offset, zero outside — is built as a Pad that
// crops: the input is zero-padded once, and each tap is a crop inside it. A strided convolution
// first splits the padded input into its stride phases (reshape, one transpose); every tap is
// then a crop of one phase. BenchmarkBlazePoseRatio compares the ways (tapMethod).

// tapMethod selects how the lowered convolutions (depthwise and im2col) build their kernel
// taps; the alternative stays for the benchmark and the equivalence tests.
type tapMethod int

const (
	// tapsByCrop zero-pads the input once and builds taps as crops inside it (see padTaps): the
	// default, fastest on the go backend.
	tapsByCrop tapMethod = iota
	// tapsByPad builds each tap as one Pad of the unpadded input that crops and zero-pads.
	tapsByPad
	// tapsBySlice builds taps as strided Slices of the padded input.
	tapsBySlice
)

// crop returns the Pad configuration that takes n values starting at index from of an axis of
// length size, zero-filled where the range leaves the axis.
func crop(from, n, size int) compute.PadAxis {
	return compute.PadAxis{Start: -from, End: from + n - size}
}

// convPadTaps builds a depthwise convolution with multiplier 1 from its constant kernel
// [1, KH, KW, C] using cropping Pads.
func convPadTaps(x *graph.Node, k *constant, s, d [2]int, p [][2]int, how tapMethod) (*graph.Node, error) {
	kd := k.shape
	c := kd[3]
	tapAt := padTaps(x, kd[1], kd[2], s, d, p, how)
	var sum *graph.Node
	for ky := 0; ky < kd[1]; ky++ {
		for kx := 0; kx < kd[2]; kx++ {
			off := (ky*kd[2] + kx) * c
			term, err := perChannel(tapAt(ky, kx), k.vals[off:off+c], graph.Mul)
			if err != nil {
				return nil, err
			}
			if sum == nil {
				sum = term
			} else {
				sum = graph.Add(sum, term)
			}
		}
	}
	return sum, nil
}

// padTaps returns a function giving, for kernel tap (ky, kx) of a kh×kw convolution with
// strides s, dilations d and padding p of NHWC input x, the input values that tap multiplies
// ([N, OH, OW, C], zero where the tap reads padding), built from cropping Pads. With how ==
// tapsByCrop the input is zero-padded once and every tap is a crop lying wholly inside it, built
// with a fill value of one that is never used: the go backend then pre-fills the output with
// doubling memmoves instead of its slower generic zeroing loop.
func padTaps(x *graph.Node, kh, kw int, s, d [2]int, p [][2]int, how tapMethod) func(ky, kx int) *graph.Node {
	xd := x.Shape().Dimensions
	oh, ow := outSize(xd[1], kh, s[0], d[0], p[0]), outSize(xd[2], kw, s[1], d[1], p[1])
	zero := graph.ScalarZero(x.Graph(), x.DType())
	if s == [2]int{1, 1} {
		if how != tapsByCrop {
			return func(ky, kx int) *graph.Node {
				return graph.Pad(x, zero, compute.PadAxis{},
					crop(ky*d[0]-p[0][0], oh, xd[1]), crop(kx*d[1]-p[1][0], ow, xd[2]), compute.PadAxis{})
			}
		}
		xp := padSpatial(x, p)
		hp, wp := xp.Shape().Dimensions[1], xp.Shape().Dimensions[2]
		return func(ky, kx int) *graph.Node {
			return graph.Pad(xp, unusedFill(xp, inside(ky*d[0], oh, hp) && inside(kx*d[1], ow, wp)), compute.PadAxis{},
				crop(ky*d[0], oh, hp), crop(kx*d[1], ow, wp), compute.PadAxis{})
		}
	}
	// Pad to a multiple of the strides, then phases: [sy, sx, N, H/sy, W/sx, C].
	hp := ceilTo(xd[1]+p[0][0]+p[0][1], s[0])
	wp := ceilTo(xd[2]+p[1][0]+p[1][1], s[1])
	xp := graph.Pad(x, zero, compute.PadAxis{},
		compute.PadAxis{Start: p[0][0], End: hp - xd[1] - p[0][0]},
		compute.PadAxis{Start: p[1][0], End: wp - xd[2] - p[1][0]}, compute.PadAxis{})
	ph := graph.Reshape(xp, xd[0], hp/s[0], s[0], wp/s[1], s[1], xd[3])
	ph = graph.TransposeAllDims(ph, 2, 4, 0, 1, 3, 5)
	return func(ky, kx int) *graph.Node {
		oy, ox := ky*d[0], kx*d[1]
		fill := zero
		if how == tapsByCrop {
			fill = unusedFill(ph, inside(oy/s[0], oh, hp/s[0]) && inside(ox/s[1], ow, wp/s[1]))
		}
		t := graph.Pad(ph, fill, crop(oy%s[0], 1, s[0]), crop(ox%s[1], 1, s[1]), compute.PadAxis{},
			crop(oy/s[0], oh, hp/s[0]), crop(ox/s[1], ow, wp/s[1]), compute.PadAxis{})
		return graph.Reshape(t, xd[0], oh, ow, xd[3])
	}
}

// inside reports whether n values from index from lie within an axis of length size.
func inside(from, n, size int) bool { return from >= 0 && from+n <= size }

// unusedFill returns the fill value of a Pad that only crops: one when the crop lies inside the
// operand (the value is never used, and a non-zero fill is faster on the go backend), zero
// otherwise (correct in any case).
func unusedFill(x *graph.Node, cropOnly bool) *graph.Node {
	if cropOnly {
		return graph.Scalar(x.Graph(), x.DType(), 1)
	}
	return graph.ScalarZero(x.Graph(), x.DType())
}

// ceilTo rounds n up to a multiple of m.
func ceilTo(n, m int) int { return (n + m - 1) / m * m }
