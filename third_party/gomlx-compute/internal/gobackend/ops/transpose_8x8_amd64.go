// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package ops

import (
	"simd/archsimd"
	"sync"

	"github.com/gomlx/compute/internal/gobackend"
)

// A float32 2-D transpose in 8×8 register blocks (posedistill's fork; see FORK.md, "Training
// steps"): eight rows of eight are loaded as vectors, transposed with in-lane shuffles and 128-bit
// half swaps, and stored as eight columns. transpose2D's tiles move one scalar at a time (with two
// bounds checks each); the weight gradient of a 1×1 convolution transposes an [N·H·W, C] operand
// every step.

// transpose2DFloat32 is transpose2D for float32: in [h, w] row-major into out [w, h].
func transpose2DFloat32(backend *gobackend.Backend, in, out []float32, h, w int) {
	if !gobackend.IsAVX2Allowed || h < 8 || w < 8 {
		transpose2D(backend, in, out, h, w)
		return
	}
	blocks := h / 8
	rows := func(r0, r1 int) { transpose8x8Rows(in, out, h, w, r0, r1) }
	if backend != nil && backend.Workers != nil && backend.Workers.IsEnabled() && h*w > 16384 {
		workers := backend.Workers.AdjustedMaxParallelism()
		if workers > 1 {
			chunks := min(blocks, 2*workers)
			per := (blocks + chunks - 1) / chunks
			var wg sync.WaitGroup
			for b := 0; b < blocks; b += per {
				r0, r1 := b*8, min(blocks, b+per)*8
				wg.Add(1)
				backend.Workers.WaitToStart(func() {
					rows(r0, r1)
					wg.Done()
				})
			}
			wg.Wait()
			transposeTail(in, out, h, w, blocks*8)
			return
		}
	}
	rows(0, blocks*8)
	transposeTail(in, out, h, w, blocks*8)
}

// transposeTail transposes the rows from r0 on (fewer than eight), scalar.
func transposeTail(in, out []float32, h, w, r0 int) {
	for r := r0; r < h; r++ {
		for c, v := range in[r*w : (r+1)*w] {
			out[c*h+r] = v
		}
	}
}

// transpose8x8Rows transposes the input rows [r0, r1) (a multiple of 8 rows): whole 8×8 blocks
// through registers, the last w mod 8 columns scalar.
func transpose8x8Rows(in, out []float32, h, w, r0, r1 int) {
	wb := w - w%8
	for r := r0; r < r1; r += 8 {
		for c := 0; c < wb; c += 8 {
			transpose8x8(in[r*w+c:], w, out[c*h+r:], h)
		}
		for rr := r; rr < r+8; rr++ {
			for c := wb; c < w; c++ {
				out[c*h+rr] = in[rr*w+c]
			}
		}
	}
}

// transpose8x8 transposes the 8×8 block at in (row stride is) into out (row stride os).
func transpose8x8(in []float32, is int, out []float32, os int) {
	_ = in[7*is+7]
	_ = out[7*os+7]
	r0 := archsimd.LoadFloat32x8(in)
	r1 := archsimd.LoadFloat32x8(in[is:])
	r2 := archsimd.LoadFloat32x8(in[2*is:])
	r3 := archsimd.LoadFloat32x8(in[3*is:])
	r4 := archsimd.LoadFloat32x8(in[4*is:])
	r5 := archsimd.LoadFloat32x8(in[5*is:])
	r6 := archsimd.LoadFloat32x8(in[6*is:])
	r7 := archsimd.LoadFloat32x8(in[7*is:])
	// In each 128-bit half: pairs of rows interleaved two columns at a time ...
	a0, a1 := r0.ConcatPermuteScalarsGrouped(0, 1, 4, 5, r1), r0.ConcatPermuteScalarsGrouped(2, 3, 6, 7, r1)
	a2, a3 := r2.ConcatPermuteScalarsGrouped(0, 1, 4, 5, r3), r2.ConcatPermuteScalarsGrouped(2, 3, 6, 7, r3)
	a4, a5 := r4.ConcatPermuteScalarsGrouped(0, 1, 4, 5, r5), r4.ConcatPermuteScalarsGrouped(2, 3, 6, 7, r5)
	a6, a7 := r6.ConcatPermuteScalarsGrouped(0, 1, 4, 5, r7), r6.ConcatPermuteScalarsGrouped(2, 3, 6, 7, r7)
	// ... then one column of four rows: b0 holds column 0 of rows 0–3 (low half) and column 4 (high).
	b0, b1 := a0.ConcatPermuteScalarsGrouped(0, 2, 4, 6, a2), a0.ConcatPermuteScalarsGrouped(1, 3, 5, 7, a2)
	b2, b3 := a1.ConcatPermuteScalarsGrouped(0, 2, 4, 6, a3), a1.ConcatPermuteScalarsGrouped(1, 3, 5, 7, a3)
	c0, c1 := a4.ConcatPermuteScalarsGrouped(0, 2, 4, 6, a6), a4.ConcatPermuteScalarsGrouped(1, 3, 5, 7, a6)
	c2, c3 := a5.ConcatPermuteScalarsGrouped(0, 2, 4, 6, a7), a5.ConcatPermuteScalarsGrouped(1, 3, 5, 7, a7)
	// Columns j and j+4: the low and the high halves of rows 0–3 (b) and rows 4–7 (c).
	b0.ConcatPermute128Scalars(0, 2, c0).Store(out)
	b1.ConcatPermute128Scalars(0, 2, c1).Store(out[os:])
	b2.ConcatPermute128Scalars(0, 2, c2).Store(out[2*os:])
	b3.ConcatPermute128Scalars(0, 2, c3).Store(out[3*os:])
	b0.ConcatPermute128Scalars(1, 3, c0).Store(out[4*os:])
	b1.ConcatPermute128Scalars(1, 3, c1).Store(out[5*os:])
	b2.ConcatPermute128Scalars(1, 3, c2).Store(out[6*os:])
	b3.ConcatPermute128Scalars(1, 3, c3).Store(out[7*os:])
}
