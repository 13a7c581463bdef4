// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package ops

import (
	"simd/archsimd"
	"unsafe"

	"github.com/gomlx/compute/internal/gobackend"
)

// ld8 loads the eight float32 at p + 4i bytes.
func ld8(p unsafe.Pointer, i int) archsimd.Float32x8 {
	return archsimd.LoadFloat32x8Array((*[8]float32)(unsafe.Add(p, 4*i)))
}

// st8 stores v at p + 4i bytes.
func st8(v archsimd.Float32x8, p unsafe.Pointer, i int) {
	v.StoreArray((*[8]float32)(unsafe.Add(p, 4*i)))
}

// depthwiseRow3AVX2 is depthwiseRow3's loop over the first p4 pixels (a multiple of 4) and the
// channels in whole 8-lane vectors, with AVX2 loads from unsafe pointers: with slices, the bounds
// checks and slice arithmetic of each load were most of the loop's instructions (and spilled the
// registers). It returns false, doing nothing, without AVX2 or when any load would fall outside
// the slices (the callers' slice loops then run, and fail as they would).
func depthwiseRow3AVX2(o, x, k []float32, xoffs, koffs []int, base, c, p4, cv int) bool {
	if !gobackend.IsAVX2Allowed || cv%8 != 0 || p4 == 0 || cv == 0 {
		return false
	}
	minX, maxX, minK, maxK := xoffs[0], xoffs[0], koffs[0], koffs[0]
	for t := range xoffs {
		minX, maxX = min(minX, xoffs[t]), max(maxX, xoffs[t])
		minK, maxK = min(minK, koffs[t]), max(maxK, koffs[t])
	}
	if minX+base < 0 || maxX+base+(p4-1)*c+cv > len(x) || minK < 0 || maxK+cv > len(k) || p4*c > len(o) {
		return false
	}
	px, pk, po := unsafe.Pointer(unsafe.SliceData(x)), unsafe.Pointer(unsafe.SliceData(k)), unsafe.Pointer(unsafe.SliceData(o))
	nt := len(xoffs)
	for p := 0; p < p4; p += 4 {
		shift := base + p*c
		oo := p * c
		for cb := 0; cb < cv; cb += 8 {
			var a0, a1, a2, a3 archsimd.Float32x8
			for t := 0; t < nt; t += 3 {
				w0, w1, w2 := ld8(pk, koffs[t]+cb), ld8(pk, koffs[t+1]+cb), ld8(pk, koffs[t+2]+cb)
				xp := unsafe.Add(px, 4*(xoffs[t]+shift+cb))
				x0, x1, x2 := ld8(xp, 0), ld8(xp, c), ld8(xp, 2*c)
				a0 = x2.MulAdd(w2, x1.MulAdd(w1, x0.MulAdd(w0, a0)))
				x3 := ld8(xp, 3*c)
				a1 = x3.MulAdd(w2, x2.MulAdd(w1, x1.MulAdd(w0, a1)))
				x4 := ld8(xp, 4*c)
				a2 = x4.MulAdd(w2, x3.MulAdd(w1, x2.MulAdd(w0, a2)))
				x5 := ld8(xp, 5*c)
				a3 = x5.MulAdd(w2, x4.MulAdd(w1, x3.MulAdd(w0, a3)))
			}
			st8(a0, po, oo+cb)
			st8(a1, po, oo+c+cb)
			st8(a2, po, oo+2*c+cb)
			st8(a3, po, oo+3*c+cb)
		}
	}
	return true
}

// depthwiseRowAVX2 is depthwiseRow's loop over the first p4 pixels (a multiple of 4) and the
// channels in whole 8-lane vectors, for any taps and step, with AVX2 loads from unsafe pointers
// checked once per call (the same sums in the same order). It returns false, doing nothing,
// without AVX2 or when a load would fall outside the slices.
func depthwiseRowAVX2(o, x, k []float32, xoffs, koffs []int, base, xstep, c, p4, cv int) bool {
	if !gobackend.IsAVX2Allowed || cv%8 != 0 || p4 == 0 || cv == 0 || len(xoffs) == 0 || xstep < 0 {
		return false
	}
	minX, maxX, minK, maxK := xoffs[0], xoffs[0], koffs[0], koffs[0]
	for t := range xoffs {
		minX, maxX = min(minX, xoffs[t]), max(maxX, xoffs[t])
		minK, maxK = min(minK, koffs[t]), max(maxK, koffs[t])
	}
	if minX+base < 0 || maxX+base+(p4-1)*xstep+cv > len(x) || minK < 0 || maxK+cv > len(k) || p4*c > len(o) {
		return false
	}
	px, pk, po := unsafe.Pointer(unsafe.SliceData(x)), unsafe.Pointer(unsafe.SliceData(k)), unsafe.Pointer(unsafe.SliceData(o))
	koffs = koffs[:len(xoffs)]
	for p := 0; p < p4; p += 4 {
		shift := base + p*xstep
		oo := p * c
		for cb := 0; cb < cv; cb += 8 {
			var a0, a1, a2, a3 archsimd.Float32x8
			for t, xo := range xoffs {
				w := ld8(pk, koffs[t]+cb)
				xp := unsafe.Add(px, 4*(xo+shift+cb))
				a0 = ld8(xp, 0).MulAdd(w, a0)
				a1 = ld8(xp, xstep).MulAdd(w, a1)
				a2 = ld8(xp, 2*xstep).MulAdd(w, a2)
				a3 = ld8(xp, 3*xstep).MulAdd(w, a3)
			}
			st8(a0, po, oo+cb)
			st8(a1, po, oo+c+cb)
			st8(a2, po, oo+2*c+cb)
			st8(a3, po, oo+3*c+cb)
		}
	}
	return true
}
