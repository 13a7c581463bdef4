// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

// Depthwise NHWC convolutions: a fast path of ConvGeneral for the two configurations a depthwise
// convolution and its gradients need (added in the posedistill fork, see FORK.md at the module root):
//
//   - depthwise: input [N, H, W, C] (batch 0, spatial 1 2, channels 3), kernel [kh, kw, 1, C]
//     (spatial 0 1, input channels 2, output channels 3), output [N, oh, ow, C], channelGroupCount C,
//     any strides, paddings and input dilations, no kernel dilation. The forward pass, and (with the
//     kernel reversed and the stride turned into an input dilation) the gradient wrt the input.
//   - depthwise filter gradient: input x [N, H, W, C] read with batch axis 3 and channels axis 0,
//     kernel v [N, oh, ow, C] (input channels 0, spatial 1 2, output channels 3), output
//     [kh, kw, 1, C] (spatial 0 1, batch 2, channels 3), batchGroupCount C, stride 1, kernel
//     dilation = the forward stride: out[ky, kx, 0, c] = Σ_{n,i,j} xpad[n, ky+s·i, kx+s·j, c]·v[n, i, j, c].
//
// Each output pixel is written once, with its channel run accumulated over the valid taps in SIMD
// registers: one pass over memory where the generic kernel walks every element with scalar index
// arithmetic. Anything else falls back (ErrFallback) to the generic ConvGeneral executor.

import (
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
)

func init() {
	gobackend.SetNodeExecutor(compute.OpTypeConvGeneral, gobackend.PriorityArch, execDepthwiseNHWC)
}

// isNHWC reports whether axes is the plain depthwise layout (NHWC input and output, HWIO kernel).
func isNHWC(a compute.ConvolveAxesConfig) bool {
	return a.InputBatch == 0 && a.InputChannels == 3 && len(a.InputSpatial) == 2 && a.InputSpatial[0] == 1 && a.InputSpatial[1] == 2 &&
		a.KernelInputChannels == 2 && a.KernelOutputChannels == 3 && len(a.KernelSpatial) == 2 && a.KernelSpatial[0] == 0 && a.KernelSpatial[1] == 1 &&
		a.OutputBatch == 0 && a.OutputChannels == 3 && len(a.OutputSpatial) == 2 && a.OutputSpatial[0] == 1 && a.OutputSpatial[1] == 2
}

// isFilterGradient reports whether axes is the layout of the depthwise filter gradient (see above).
func isFilterGradient(a compute.ConvolveAxesConfig) bool {
	return a.InputBatch == 3 && a.InputChannels == 0 && len(a.InputSpatial) == 2 && a.InputSpatial[0] == 1 && a.InputSpatial[1] == 2 &&
		a.KernelInputChannels == 0 && a.KernelOutputChannels == 3 && len(a.KernelSpatial) == 2 && a.KernelSpatial[0] == 1 && a.KernelSpatial[1] == 2 &&
		a.OutputBatch == 2 && a.OutputChannels == 3 && len(a.OutputSpatial) == 2 && a.OutputSpatial[0] == 0 && a.OutputSpatial[1] == 1
}

func allOnes(v []int) bool {
	for _, x := range v {
		if x != 1 {
			return false
		}
	}
	return true
}

func execDepthwiseNHWC(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, _ []bool) (*gobackend.Buffer, error) {
	input, kernel := inputs[0], inputs[1]
	p := node.Data.(*convNode)
	if input.RawShape.DType != dtypes.Float32 || kernel.RawShape.DType != dtypes.Float32 || node.Shape.DType != dtypes.Float32 ||
		input.RawShape.Rank() != 4 || kernel.RawShape.Rank() != 4 || node.Shape.Rank() != 4 || len(p.strides) != 2 || len(p.paddings) != 2 {
		return nil, gobackend.ErrFallback
	}
	in, kd, out := input.RawShape.Dimensions, kernel.RawShape.Dimensions, node.Shape.Dimensions
	dil := []int{1, 1}
	if len(p.inputDilations) == 2 {
		dil = p.inputDilations
	}
	switch {
	case isNHWC(p.axes) && p.channelGroupCount == in[3] && p.batchGroupCount == 1 && allOnes(p.kernelDilations) &&
		kd[2] == 1 && kd[3] == in[3] && out[3] == in[3] && out[0] == in[0]:
		output, err := backend.GetBuffer(node.Shape)
		if err != nil {
			return nil, err
		}
		if backend.NoOps {
			return output, nil
		}
		dw := depthwise{n: in[0], h: in[1], w: in[2], c: in[3], kh: kd[0], kw: kd[1], oh: out[1], ow: out[2],
			stride: [2]int{p.strides[0], p.strides[1]}, lo: [2]int{p.paddings[0][0], p.paddings[1][0]}, dil: [2]int{dil[0], dil[1]}}
		dw.forward(backend, input.Flat.([]float32), kernel.Flat.([]float32), output.Flat.([]float32))
		return output, nil

	case isFilterGradient(p.axes) && p.batchGroupCount == in[3] && p.channelGroupCount == 1 && allOnes(p.strides) && allOnes(dil) &&
		len(p.kernelDilations) == 2 && kd[0] == in[0] && kd[3] == in[3] && out[2] == 1 && out[3] == in[3]:
		output, err := backend.GetBuffer(node.Shape)
		if err != nil {
			return nil, err
		}
		if backend.NoOps {
			return output, nil
		}
		dw := depthwise{n: in[0], h: in[1], w: in[2], c: in[3], kh: out[0], kw: out[1], oh: kd[1], ow: kd[2],
			stride: [2]int{p.kernelDilations[0], p.kernelDilations[1]}, lo: [2]int{p.paddings[0][0], p.paddings[1][0]}, dil: [2]int{1, 1}}
		dw.filterGradient(backend, input.Flat.([]float32), kernel.Flat.([]float32), output.Flat.([]float32))
		return output, nil
	}
	return nil, gobackend.ErrFallback
}

// depthwise describes one depthwise convolution: input [n, h, w, c], kernel [kh, kw, 1, c], output
// [n, oh, ow, c]; output (i, j) tap (ky, kx) reads the input at row r with dil·r = stride·i + ky − lo
// (skipped when not an integer in [0, h)), and alike for columns.
type depthwise struct {
	n, h, w, c, kh, kw, oh, ow int
	stride, lo, dil            [2]int
}

// source returns the input index along axis a read by output index o through tap k, or −1.
func (d *depthwise) source(a, o, k int) int {
	p := o*d.stride[a] + k - d.lo[a]
	if p < 0 || p%d.dil[a] != 0 {
		return -1
	}
	r := p / d.dil[a]
	limit := d.h
	if a == 1 {
		limit = d.w
	}
	if r >= limit {
		return -1
	}
	return r
}

// taps lists, for output pixel (b, i, j), the offsets of the valid taps' input runs and kernel runs.
func (d *depthwise) taps(b, i, j int, xoffs, koffs []int) int {
	nt := 0
	for ky := range d.kh {
		r := d.source(0, i, ky)
		if r < 0 {
			continue
		}
		for kx := range d.kw {
			q := d.source(1, j, kx)
			if q < 0 {
				continue
			}
			xoffs[nt] = ((b*d.h+r)*d.w + q) * d.c
			koffs[nt] = (ky*d.kw + kx) * d.c
			nt++
		}
	}
	return nt
}

// parallelRows runs fn over [0, rows) in chunks, on the backend's workers when it has several.
func parallelRows(backend *gobackend.Backend, rows, work int, fn func(start, end, chunk int), chunks int) {
	if chunks <= 1 || rows <= 1 {
		fn(0, rows, 0)
		return
	}
	per := (rows + chunks - 1) / chunks
	var wg sync.WaitGroup
	for ch := 0; ch*per < rows; ch++ {
		start, end := ch*per, min((ch+1)*per, rows)
		wg.Add(1)
		backend.Workers.WaitToStart(func() {
			defer wg.Done()
			fn(start, end, ch)
		})
	}
	wg.Wait()
}

// numChunks is how many parallel chunks an op of the given size is split into.
func numChunks(backend *gobackend.Backend, elements int) int {
	if backend == nil || backend.Workers == nil || !backend.Workers.IsEnabled() || elements < 1<<16 {
		return 1
	}
	return max(1, backend.Workers.AdjustedMaxParallelism())
}

func (d *depthwise) forward(backend *gobackend.Backend, x, k, out []float32) {
	if d.dil[1] > 1 && d.stride[1] == 1 {
		d.forwardDilatedColumns(backend, x, k, out) // depthwise_dilated.go
		return
	}
	maxTaps := d.kh * d.kw
	rows := d.n * d.oh
	j0, j1 := d.interiorColumns()
	parallelRows(backend, rows, len(out), func(start, end, _ int) {
		xoffs := make([]int, maxTaps)
		koffs := make([]int, maxTaps)
		rowX := make([]int, maxTaps)
		rowK := make([]int, maxTaps)
		for row := start; row < end; row++ {
			b, i := row/d.oh, row%d.oh
			orow := out[(b*d.oh+i)*d.ow*d.c:][:d.ow*d.c]
			// Columns whose taps all fall inside the input share one list of taps, offset by the
			// column: one row kernel call. The few border columns list their own taps.
			nt := d.rowTaps(b, i, rowX, rowK)
			if j1 > j0 && nt > 0 {
				depthwiseRowTaps(orow[j0*d.c:(j1*d.c)], x, k, rowX[:nt], rowK[:nt], j0*d.stride[1]*d.c, d.stride[1]*d.c, d.c)
			} else if j1 > j0 {
				clear(orow[j0*d.c : j1*d.c])
			}
			for j := 0; j < d.ow; j++ {
				if j == j0 && j1 > j0 {
					j = j1 - 1
					continue
				}
				nt := d.taps(b, i, j, xoffs, koffs)
				depthwisePixel(orow[j*d.c:][:d.c], x, k, xoffs[:nt], koffs[:nt])
			}
		}
	}, numChunks(backend, len(out)))
}

// interiorColumns returns the output columns [j0, j1) whose taps all read input columns (only
// without input dilation; otherwise an empty range, and every column lists its own taps).
func (d *depthwise) interiorColumns() (j0, j1 int) {
	if d.dil[1] != 1 {
		return 0, 0
	}
	s, lo := d.stride[1], d.lo[1]
	// Column j reads input columns s·j − lo … s·j − lo + kw − 1.
	j0 = (lo + s - 1) / s
	last := d.w - d.kw + lo // the largest s·j allowed
	if last < 0 {
		return 0, 0
	}
	j1 = min(d.ow, last/s+1)
	if j1 < j0 {
		return 0, 0
	}
	return j0, j1
}

// rowTaps lists, for the interior columns of output row (b, i), the offsets of each valid tap's
// input run for output column 0 (the column's own offset, j·stride·c, is added by the row kernel;
// an entry may be negative) and of its kernel run.
func (d *depthwise) rowTaps(b, i int, xoffs, koffs []int) int {
	nt := 0
	for ky := range d.kh {
		r := d.source(0, i, ky)
		if r < 0 {
			continue
		}
		for kx := range d.kw {
			xoffs[nt] = ((b*d.h+r)*d.w + kx - d.lo[1]) * d.c
			koffs[nt] = (ky*d.kw + kx) * d.c
			nt++
		}
	}
	return nt
}

func (d *depthwise) filterGradient(backend *gobackend.Backend, x, v, out []float32) {
	rows := d.n * d.oh
	chunks := numChunks(backend, len(v))
	partials := make([][]float32, max(chunks, 1))
	s, lo := d.stride[1], d.lo[1]
	parallelRows(backend, rows, len(v), func(start, end, chunk int) {
		acc := make([]float32, d.kh*d.kw*d.c)    // this chunk's sum
		rowAcc := make([]float32, d.kh*d.kw*d.c) // one output row's sum (two-level summation)
		for row := start; row < end; row++ {
			b, i := row/d.oh, row%d.oh
			clear(rowAcc)
			vrow := v[(b*d.oh+i)*d.ow*d.c:][:d.ow*d.c]
			for ky := range d.kh {
				r := d.source(0, i, ky)
				if r < 0 {
					continue
				}
				xrow := x[(b*d.h+r)*d.w*d.c:][:d.w*d.c]
				for kx := range d.kw {
					// Output columns j read input column q = s·j + kx − lo: those with 0 ≤ q < w.
					j0 := 0
					if lo > kx {
						j0 = (lo - kx + s - 1) / s
					}
					j1 := min(d.ow, (d.w-1+lo-kx)/s+1) // exclusive
					if d.w-1+lo-kx < 0 || j1 <= j0 {
						continue
					}
					depthwiseRowDot(rowAcc[(ky*d.kw+kx)*d.c:][:d.c], xrow, vrow[j0*d.c:], j0*s+kx-lo, s, j1-j0, d.c)
				}
			}
			addTo(acc, rowAcc)
		}
		partials[chunk] = acc
	}, chunks)
	clear(out)
	for _, p := range partials {
		if p != nil {
			addTo(out, p)
		}
	}
}

// addTo adds src to dst element by element.
func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}
