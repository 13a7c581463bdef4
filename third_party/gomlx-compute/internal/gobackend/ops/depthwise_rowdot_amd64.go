// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package ops

import (
	"simd/archsimd"
	"unsafe"

	"github.com/gomlx/compute/internal/gobackend"
)

// depthwiseRowDotAVX2 is depthwiseRowDot's loop over the channels in whole 8-lane vectors (the
// same sums in the same order: four vectors of channels at a time, then one vector with four
// accumulators over the pixels, as rowDotVector), with AVX2 loads from unsafe pointers checked
// once per call, where the slice loads' bounds checks and slice arithmetic were most of the
// instructions. It returns how many channels it did: 0 without AVX2 or when a load would fall
// outside the slices (the slice loops then run, and fail as they would).
func depthwiseRowDotAVX2(acc, x, v []float32, q0, step, count, c int) int {
	cv := c - c%8
	if !gobackend.IsAVX2Allowed || cv == 0 || count <= 0 {
		return 0
	}
	xstep := step * c
	if q0 < 0 || step < 0 || q0*c+(count-1)*xstep+cv > len(x) || (count-1)*c+cv > len(v) || cv > len(acc) {
		return 0
	}
	px, pv, pa := unsafe.Pointer(unsafe.SliceData(x)), unsafe.Pointer(unsafe.SliceData(v)), unsafe.Pointer(unsafe.SliceData(acc))
	cb := 0
	for ; cb+32 <= c; cb += 32 {
		var a0, a1, a2, a3 archsimd.Float32x8
		xp, vp := unsafe.Add(px, 4*(q0*c+cb)), unsafe.Add(pv, 4*cb)
		for range count {
			a0 = ld8(xp, 0).MulAdd(ld8(vp, 0), a0)
			a1 = ld8(xp, 8).MulAdd(ld8(vp, 8), a1)
			a2 = ld8(xp, 16).MulAdd(ld8(vp, 16), a2)
			a3 = ld8(xp, 24).MulAdd(ld8(vp, 24), a3)
			xp, vp = unsafe.Add(xp, 4*xstep), unsafe.Add(vp, 4*c)
		}
		st8(a0.Add(ld8(pa, cb)), pa, cb)
		st8(a1.Add(ld8(pa, cb+8)), pa, cb+8)
		st8(a2.Add(ld8(pa, cb+16)), pa, cb+16)
		st8(a3.Add(ld8(pa, cb+24)), pa, cb+24)
	}
	for ; cb+8 <= c; cb += 8 {
		var a0, a1, a2, a3 archsimd.Float32x8
		xp, vp := unsafe.Add(px, 4*(q0*c+cb)), unsafe.Add(pv, 4*cb)
		jj := 0
		for ; jj+4 <= count; jj += 4 {
			a0 = ld8(xp, 0).MulAdd(ld8(vp, 0), a0)
			a1 = ld8(xp, xstep).MulAdd(ld8(vp, c), a1)
			a2 = ld8(xp, 2*xstep).MulAdd(ld8(vp, 2*c), a2)
			a3 = ld8(xp, 3*xstep).MulAdd(ld8(vp, 3*c), a3)
			xp, vp = unsafe.Add(xp, 16*xstep), unsafe.Add(vp, 16*c)
		}
		for ; jj < count; jj++ {
			a0 = ld8(xp, 0).MulAdd(ld8(vp, 0), a0)
			xp, vp = unsafe.Add(xp, 4*xstep), unsafe.Add(vp, 4*c)
		}
		st8(a0.Add(a1).Add(a2.Add(a3)).Add(ld8(pa, cb)), pa, cb)
	}
	return cb
}
