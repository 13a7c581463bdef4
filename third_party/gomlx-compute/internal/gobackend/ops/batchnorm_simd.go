// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build goexperiment.simd

package ops

import "simd"

// The inner loops of the channels-last batch norm (batchnorm.go): x, v and out are whole chunks of
// p = len(kp) elements, p a multiple of the SIMD width.

// bnVectorLen is the number of float32 lanes of a SIMD vector.
func bnVectorLen() int { return simd.BroadcastFloat32s(0).Len() }

// bnSumsShifted sets b1[i] = Σ_j (x[j·p+i] − kp[i]) and b2[i] = Σ_j (x[j·p+i] − kp[i])².
func bnSumsShifted(b1, b2, x, kp []float32) {
	bnSums(b1, b2, x, nil, kp)
}

// bnSumsGrad sets b1[i] = Σ_j v[j·p+i] and b2[i] = Σ_j v[j·p+i]·(x[j·p+i] − kp[i]).
func bnSumsGrad(b1, b2, x, v, kp []float32) {
	bnSums(b1, b2, x, v, kp)
}

// bnSumsBlock is bnSumsShifted (v nil) or bnSumsGrad on one block of a tensor of total elements:
// from bnColumnsMinElements on, the AVX2 column walk, whatever the width (batchnorm_amd64.go).
func bnSumsBlock(b1, b2, x, v, kp []float32, total int) {
	if total >= bnColumnsMinElements && bnSumsAVX2(b1, b2, x, v, kp, false) {
		return
	}
	bnSums(b1, b2, x, v, kp)
}

// bnSums is bnSumsShifted (v nil) or bnSumsGrad: chunks of bnRowsMinVectors vectors or more row by
// row (bnSumsRows, batchnorm_rows_simd.go), narrower ones down the columns (bnSumsColumns).
func bnSums(b1, b2, x, v, kp []float32) {
	if bnSumsAVX2(b1, b2, x, v, kp, len(kp) >= bnRowsMinVectors*bnVectorLen()) { // batchnorm_amd64.go
		return
	}
	if len(kp) >= bnRowsMinVectors*bnVectorLen() {
		bnSumsRows(b1, b2, x, v, kp)
		return
	}
	bnSumsColumns(b1, b2, x, v, kp)
}

// bnSumsColumns is bnSums for four vectors of positions at a time (eight independent accumulators,
// two cache lines per chunk): it walks down the chunks.
func bnSumsColumns(b1, b2, x, v, kp []float32) {
	p := len(kp)
	vl := bnVectorLen()
	i := 0
	for ; i+4*vl <= p; i += 4 * vl {
		k0, k1 := simd.LoadFloat32s(kp[i:]), simd.LoadFloat32s(kp[i+vl:])
		k2, k3 := simd.LoadFloat32s(kp[i+2*vl:]), simd.LoadFloat32s(kp[i+3*vl:])
		s0 := simd.BroadcastFloat32s(0)
		s1, s2, s3, q0, q1, q2, q3 := s0, s0, s0, s0, s0, s0, s0
		for o := i; o < len(x); o += p {
			xs := x[o:][:4*vl]
			d0, d1 := simd.LoadFloat32s(xs).Sub(k0), simd.LoadFloat32s(xs[vl:]).Sub(k1)
			d2, d3 := simd.LoadFloat32s(xs[2*vl:]).Sub(k2), simd.LoadFloat32s(xs[3*vl:]).Sub(k3)
			if v == nil {
				s0, s1, s2, s3 = s0.Add(d0), s1.Add(d1), s2.Add(d2), s3.Add(d3)
				q0, q1, q2, q3 = d0.MulAdd(d0, q0), d1.MulAdd(d1, q1), d2.MulAdd(d2, q2), d3.MulAdd(d3, q3)
				continue
			}
			vs := v[o:][:4*vl]
			g0, g1 := simd.LoadFloat32s(vs), simd.LoadFloat32s(vs[vl:])
			g2, g3 := simd.LoadFloat32s(vs[2*vl:]), simd.LoadFloat32s(vs[3*vl:])
			s0, s1, s2, s3 = s0.Add(g0), s1.Add(g1), s2.Add(g2), s3.Add(g3)
			q0, q1, q2, q3 = g0.MulAdd(d0, q0), g1.MulAdd(d1, q1), g2.MulAdd(d2, q2), g3.MulAdd(d3, q3)
		}
		s0.Store(b1[i:])
		s1.Store(b1[i+vl:])
		s2.Store(b1[i+2*vl:])
		s3.Store(b1[i+3*vl:])
		q0.Store(b2[i:])
		q1.Store(b2[i+vl:])
		q2.Store(b2[i+2*vl:])
		q3.Store(b2[i+3*vl:])
	}
	for ; i < p; i += vl {
		k := simd.LoadFloat32s(kp[i:])
		s0 := simd.BroadcastFloat32s(0)
		s1, q0, q1 := s0, s0, s0
		o := i
		for ; o+p < len(x); o += 2 * p { // two chunks at a time: two accumulators each
			d0, d1 := simd.LoadFloat32s(x[o:]).Sub(k), simd.LoadFloat32s(x[o+p:]).Sub(k)
			g0, g1 := d0, d1
			if v != nil {
				g0, g1 = simd.LoadFloat32s(v[o:]), simd.LoadFloat32s(v[o+p:])
			}
			s0, s1 = s0.Add(g0), s1.Add(g1)
			q0, q1 = g0.MulAdd(d0, q0), g1.MulAdd(d1, q1)
		}
		if o < len(x) {
			d := simd.LoadFloat32s(x[o:]).Sub(k)
			g := d
			if v != nil {
				g = simd.LoadFloat32s(v[o:])
			}
			s0, q0 = s0.Add(g), g.MulAdd(d, q0)
		}
		s0.Add(s1).Store(b1[i:])
		q0.Add(q1).Store(b2[i:])
	}
}

// bnApply sets out[j·p+i] = x[j·p+i]·ap[i] + bp[i].
func bnApply(out, x, ap, bp []float32) {
	if bnApplyAVX2(out, x, ap, bp) { // batchnorm_amd64.go
		return
	}
	p := len(ap)
	vl := bnVectorLen()
	for o := 0; o < len(x); o += p {
		xs, os := x[o:][:p], out[o:][:p]
		for i := 0; i < p; i += vl {
			simd.LoadFloat32s(xs[i:]).MulAdd(simd.LoadFloat32s(ap[i:]), simd.LoadFloat32s(bp[i:])).Store(os[i:])
		}
	}
}

// bnApplyGrad sets out[j·p+i] = v[j·p+i]·ap[i] + x[j·p+i]·k1p[i] + bp[i].
func bnApplyGrad(out, v, x, ap, k1p, bp []float32) {
	if bnApplyGradAVX2(out, v, x, ap, k1p, bp) { // batchnorm_amd64.go
		return
	}
	p := len(ap)
	vl := bnVectorLen()
	for o := 0; o < len(x); o += p {
		xs, vs, os := x[o:][:p], v[o:][:p], out[o:][:p]
		for i := 0; i < p; i += vl {
			t := simd.LoadFloat32s(xs[i:]).MulAdd(simd.LoadFloat32s(k1p[i:]), simd.LoadFloat32s(bp[i:]))
			simd.LoadFloat32s(vs[i:]).MulAdd(simd.LoadFloat32s(ap[i:]), t).Store(os[i:])
		}
	}
}
