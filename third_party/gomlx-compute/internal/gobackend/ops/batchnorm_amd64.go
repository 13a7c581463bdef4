// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package ops

import (
	"simd/archsimd"
	"unsafe"

	"github.com/gomlx/compute/internal/gobackend"
)

// The channels-last batch-norm loops (batchnorm_simd.go, batchnorm_rows_simd.go) with AVX2 loads
// and stores through unsafe pointers, the slices' lengths checked once per call: with slices, the
// bounds checks and slice arithmetic of every load were as many instructions as the arithmetic.
// Each computes the same sums in the same order as its slice loop where the portable vector is
// 8 lanes wide, and returns false, doing nothing, where it is not, without AVX2, or when the
// lengths are not whole chunks (the slice loop then runs).

// bnAVX2 reports whether the AVX2 loops apply to chunks of p = len(kp) with data of length n.
func bnAVX2(p, n int, lens ...int) bool {
	if !gobackend.IsAVX2Allowed || bnVectorLen() != 8 || p == 0 || p%8 != 0 || n%p != 0 {
		return false
	}
	for _, l := range lens {
		if l < n {
			return false
		}
	}
	return true
}

func f32p(s []float32) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(s)) }

// bnSumsAVX2 is bnSums, walking the chunks row by row (rows) or down the columns.
func bnSumsAVX2(b1, b2, x, v, kp []float32, rows bool) bool {
	p, n := len(kp), len(x)
	lens := []int{n}
	if v != nil {
		lens = append(lens, len(v))
	}
	if !bnAVX2(p, n, lens...) || len(b1) < p || len(b2) < p {
		return false
	}
	px, pv, pk, p1, p2 := f32p(x), f32p(v), f32p(kp), f32p(b1), f32p(b2)
	if rows { // bnSumsRows
		var zero archsimd.Float32x8
		for i := 0; i < p; i += 8 {
			st8(zero, p1, i)
			st8(zero, p2, i)
		}
		o := 0
		for ; o+2*p <= n; o += 2 * p {
			if v == nil {
				for i := 0; i < p; i += 8 {
					k := ld8(pk, i)
					d0, d1 := ld8(px, o+i).Sub(k), ld8(px, o+p+i).Sub(k)
					st8(ld8(p1, i).Add(d0.Add(d1)), p1, i)
					st8(d1.MulAdd(d1, d0.MulAdd(d0, ld8(p2, i))), p2, i)
				}
				continue
			}
			for i := 0; i < p; i += 8 {
				k := ld8(pk, i)
				d0, d1 := ld8(px, o+i).Sub(k), ld8(px, o+p+i).Sub(k)
				g0, g1 := ld8(pv, o+i), ld8(pv, o+p+i)
				st8(ld8(p1, i).Add(g0.Add(g1)), p1, i)
				st8(g1.MulAdd(d1, g0.MulAdd(d0, ld8(p2, i))), p2, i)
			}
		}
		if o < n {
			for i := 0; i < p; i += 8 {
				d := ld8(px, o+i).Sub(ld8(pk, i))
				g := d
				if v != nil {
					g = ld8(pv, o+i)
				}
				st8(ld8(p1, i).Add(g), p1, i)
				st8(g.MulAdd(d, ld8(p2, i)), p2, i)
			}
		}
		return true
	}
	// bnSumsColumns, for any width
	i := 0
	for ; i+32 <= p; i += 32 {
		k0, k1, k2, k3 := ld8(pk, i), ld8(pk, i+8), ld8(pk, i+16), ld8(pk, i+24)
		var s0, s1, s2, s3, q0, q1, q2, q3 archsimd.Float32x8
		for o := i; o < n; o += p {
			d0, d1 := ld8(px, o).Sub(k0), ld8(px, o+8).Sub(k1)
			d2, d3 := ld8(px, o+16).Sub(k2), ld8(px, o+24).Sub(k3)
			if v == nil {
				s0, s1, s2, s3 = s0.Add(d0), s1.Add(d1), s2.Add(d2), s3.Add(d3)
				q0, q1, q2, q3 = d0.MulAdd(d0, q0), d1.MulAdd(d1, q1), d2.MulAdd(d2, q2), d3.MulAdd(d3, q3)
				continue
			}
			g0, g1, g2, g3 := ld8(pv, o), ld8(pv, o+8), ld8(pv, o+16), ld8(pv, o+24)
			s0, s1, s2, s3 = s0.Add(g0), s1.Add(g1), s2.Add(g2), s3.Add(g3)
			q0, q1, q2, q3 = g0.MulAdd(d0, q0), g1.MulAdd(d1, q1), g2.MulAdd(d2, q2), g3.MulAdd(d3, q3)
		}
		st8(s0, p1, i)
		st8(s1, p1, i+8)
		st8(s2, p1, i+16)
		st8(s3, p1, i+24)
		st8(q0, p2, i)
		st8(q1, p2, i+8)
		st8(q2, p2, i+16)
		st8(q3, p2, i+24)
	}
	for ; i < p; i += 8 {
		k := ld8(pk, i)
		var s0, s1, q0, q1 archsimd.Float32x8
		o := i
		for ; o+p < n; o += 2 * p {
			d0, d1 := ld8(px, o).Sub(k), ld8(px, o+p).Sub(k)
			g0, g1 := d0, d1
			if v != nil {
				g0, g1 = ld8(pv, o), ld8(pv, o+p)
			}
			s0, s1 = s0.Add(g0), s1.Add(g1)
			q0, q1 = g0.MulAdd(d0, q0), g1.MulAdd(d1, q1)
		}
		if o < n {
			d := ld8(px, o).Sub(k)
			g := d
			if v != nil {
				g = ld8(pv, o)
			}
			s0, q0 = s0.Add(g), g.MulAdd(d, q0)
		}
		st8(s0.Add(s1), p1, i)
		st8(q0.Add(q1), p2, i)
	}
	return true
}

// bnApplyAVX2 is bnApply.
func bnApplyAVX2(out, x, ap, bp []float32) bool {
	p, n := len(ap), len(x)
	if !bnAVX2(p, n, len(out)) || len(bp) < p {
		return false
	}
	po, px, pa, pb := f32p(out), f32p(x), f32p(ap), f32p(bp)
	for o := 0; o < n; o += p {
		for i := 0; i < p; i += 8 {
			st8(ld8(px, o+i).MulAdd(ld8(pa, i), ld8(pb, i)), po, o+i)
		}
	}
	return true
}

// bnApplyGradAVX2 is bnApplyGrad.
func bnApplyGradAVX2(out, v, x, ap, k1p, bp []float32) bool {
	p, n := len(ap), len(x)
	if !bnAVX2(p, n, len(out), len(v)) || len(k1p) < p || len(bp) < p {
		return false
	}
	po, pv, px, pa, pk, pb := f32p(out), f32p(v), f32p(x), f32p(ap), f32p(k1p), f32p(bp)
	for o := 0; o < n; o += p {
		for i := 0; i < p; i += 8 {
			t := ld8(px, o+i).MulAdd(ld8(pk, i), ld8(pb, i))
			st8(ld8(pv, o+i).MulAdd(ld8(pa, i), t), po, o+i)
		}
	}
	return true
}
