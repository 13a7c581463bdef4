// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

// Dense NHWC convolutions with few output channels: a fast path of ConvGeneral (added in the
// posedistill fork, see FORK.md at the module root) for input [N, H, W, Cin] (batch 0, spatial 1 2,
// channels 3), kernel [kh, kw, Cin, Cout] (spatial 0 1, input channels 2, output channels 3), output
// [N, oh, ow, Cout], one channel group and one batch group, any strides and paddings, no input or
// kernel dilation.
//
// Convolutions with few channels are where lowering to im2col and a matrix product costs most: the
// im2col copy writes kh·kw·Cin values per output pixel for kh·kw·Cin·Cout multiply-adds (a 3×3
// convolution of 8 channels into 1 writes 72 values per pixel for 72 multiply-adds), and the matrix
// kernels are slow on a product with one or a few columns. This kernel reads the input in place:
// for a run of output pixels of one row whose taps all fall inside the input, the taps are listed
// once and shifted by the stride; border pixels list their own. With at least a vector of output
// channels, four pixels accumulate each vector of output channels together (one load of the kernel
// feeds four multiply-adds); with fewer, each output channel is a dot product over the input
// channels, vectorized along them. Anything else falls back (ErrFallback) to the next executor.

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
)

func init() {
	gobackend.SetNodeExecutor(compute.OpTypeConvGeneral, gobackend.PriorityArch, execConvNHWC)
}

func execConvNHWC(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, _ []bool) (*gobackend.Buffer, error) {
	input, kernel := inputs[0], inputs[1]
	p := node.Data.(*convNode)
	if input.RawShape.DType != dtypes.Float32 || kernel.RawShape.DType != dtypes.Float32 || node.Shape.DType != dtypes.Float32 ||
		input.RawShape.Rank() != 4 || kernel.RawShape.Rank() != 4 || node.Shape.Rank() != 4 || len(p.strides) != 2 || len(p.paddings) != 2 ||
		!isNHWC(p.axes) || p.channelGroupCount != 1 || p.batchGroupCount != 1 || !allOnes(p.kernelDilations) || !allOnes(p.inputDilations) {
		return nil, gobackend.ErrFallback
	}
	in, kd, out := input.RawShape.Dimensions, kernel.RawShape.Dimensions, node.Shape.Dimensions
	if kd[2] != in[3] || out[0] != in[0] || out[3] != kd[3] {
		return nil, gobackend.ErrFallback
	}
	output, err := backend.GetBuffer(node.Shape)
	if err != nil {
		return nil, err
	}
	if backend.NoOps {
		return output, nil
	}
	cv := denseConv{depthwise: depthwise{n: in[0], h: in[1], w: in[2], c: in[3], kh: kd[0], kw: kd[1], oh: out[1], ow: out[2],
		stride: [2]int{p.strides[0], p.strides[1]}, lo: [2]int{p.paddings[0][0], p.paddings[1][0]}, dil: [2]int{1, 1}}, cout: kd[3]}
	cv.forward(backend, input.Flat.([]float32), kernel.Flat.([]float32), output.Flat.([]float32))
	return output, nil
}

// denseConv describes a dense convolution: the geometry of depthwise (c is the input's channels)
// and cout output channels.
type denseConv struct {
	depthwise
	cout int
}

func (d *denseConv) forward(backend *gobackend.Backend, x, k, out []float32) {
	maxTaps := d.kh * d.kw
	j0, j1 := d.interiorColumns()
	// With fewer output channels than a vector, the kernel is read transposed, [Cout, kh·kw, Cin]:
	// each output channel's taps are then runs along the input channels.
	var kt []float32
	if d.cout < convVectorLen() {
		kt = make([]float32, len(k))
		for t := range maxTaps {
			for ci := range d.c {
				for co := range d.cout {
					kt[(co*maxTaps+t)*d.c+ci] = k[(t*d.c+ci)*d.cout+co]
				}
			}
		}
	}
	parallelRows(backend, d.n*d.oh, len(out)*d.c*maxTaps, func(start, end, _ int) {
		xoffs := make([]int, maxTaps)
		koffs := make([]int, maxTaps)
		rowX := make([]int, maxTaps)
		rowK := make([]int, maxTaps)
		var tmp []float32
		var tapOffs []int
		if kt != nil {
			tmp = make([]float32, d.ow*d.c)
			tapOffs = make([]int, maxTaps)
		}
		row := func(o []float32, xoffs, taps []int, base, xstep int) {
			if kt != nil {
				convRowDot(o, x, kt, xoffs, taps, base, xstep, d.c, d.cout, maxTaps, tmp, tapOffs)
			} else {
				convRowOuter(o, x, k, xoffs, taps, base, xstep, d.c, d.cout)
			}
		}
		for r := start; r < end; r++ {
			b, i := r/d.oh, r%d.oh
			orow := out[(b*d.oh+i)*d.ow*d.cout:][:d.ow*d.cout]
			nt := d.rowTaps(b, i, rowX, rowK)
			tapIndices(rowK[:nt], d.c)
			if j1 > j0 {
				row(orow[j0*d.cout:j1*d.cout], rowX[:nt], rowK[:nt], j0*d.stride[1]*d.c, d.stride[1]*d.c)
			}
			for j := 0; j < d.ow; j++ {
				if j == j0 && j1 > j0 {
					j = j1 - 1
					continue
				}
				nt := d.taps(b, i, j, xoffs, koffs)
				tapIndices(koffs[:nt], d.c)
				row(orow[j*d.cout:][:d.cout], xoffs[:nt], koffs[:nt], 0, 0)
			}
		}
	}, numChunks(backend, len(out)*d.c*maxTaps))
}

// tapIndices turns the kernel offsets depthwise's tap lists hold ((ky·kw + kx)·c) into tap indices.
func tapIndices(koffs []int, c int) {
	for t := range koffs {
		koffs[t] /= c
	}
}

// convRowDot sets, for the pixels p < len(o)/cout of a run of one output row and every output
// channel co, o[p·cout+co] = Σ_t Σ_ci x[xoffs[t]+base+p·xstep+ci]·kt[(co·ntaps+taps[t])·cin+ci], with
// the kernel transposed to [cout, ntaps, cin]: per output channel, a depthwise pass over the input
// channels (depthwiseRow, into tmp, at least len(o)/cout·cin long) and a sum along them. tapOffs has
// room for the taps' kernel offsets.
func convRowDot(o, x, kt []float32, xoffs, taps []int, base, xstep, cin, cout, ntaps int, tmp []float32, tapOffs []int) {
	count := len(o) / cout
	tmp = tmp[:count*cin]
	tapOffs = tapOffs[:len(taps)]
	for co := range cout {
		for t, tap := range taps {
			tapOffs[t] = (co*ntaps + tap) * cin
		}
		depthwiseRow(tmp, x, kt, xoffs, tapOffs, base, xstep, cin)
		for p := range count {
			var s float32
			for _, v := range tmp[p*cin:][:cin] {
				s += v
			}
			o[p*cout+co] = s
		}
	}
}
