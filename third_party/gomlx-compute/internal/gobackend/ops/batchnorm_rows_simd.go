// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build goexperiment.simd

package ops

import "simd"

// bnRowsMinVectors is the chunk width, in vectors, from which bnSums walks the chunks row by row
// (bnSumsRows) instead of down the columns: with more than four vectors per chunk the column walk
// reads a 128-byte strip of every chunk in turn, a strided access that the hardware prefetchers
// follow poorly, and it walks the block once per strip.
//
// Switched off (1 << 30: every chunk walks down the columns) until it is understood why the row walk
// changes training: with it, posedistill's TestIntegralTeacherTermsPullStudentToTeacher (distill)
// failed (teacher-only distance 0.538 against 0.211 with the column walk, which reproduces the sums
// of the code before the row walk bit for bit). Set it back to 5 to measure the row walk.
const bnRowsMinVectors = 1 << 30

// bnColumnsMinElements is the tensor size from which the sums walk down the columns whatever the
// chunk width: a tensor that does not fit in cache streams from memory, and there the column walk
// measured faster (BenchmarkBatchNormSumsPaths: 16×32×32×144 took 1.2–1.3 CPU ns per element down
// the columns, 1.5–1.6 along the rows; 16×32×32×48 took 0.5 down the columns and 0.2–0.3 along
// the rows).
const bnColumnsMinElements = 2 << 20

// bnSumsRows is bnSums for chunks of at least bnRowsMinVectors vectors: it reads x (and v) in
// order, two chunks at a time, and accumulates each vector of positions into b1 and b2 in memory
// (they stay in L1; the same vector is updated again only after the other p/vl − 1).
func bnSumsRows(b1, b2, x, v, kp []float32) {
	p := len(kp)
	vl := bnVectorLen()
	clear(b1)
	clear(b2)
	o := 0
	for ; o+2*p <= len(x); o += 2 * p {
		x0, x1 := x[o:][:p], x[o+p:][:p]
		if v == nil {
			for i := 0; i < p; i += vl {
				k := simd.LoadFloat32s(kp[i:])
				d0, d1 := simd.LoadFloat32s(x0[i:]).Sub(k), simd.LoadFloat32s(x1[i:]).Sub(k)
				simd.LoadFloat32s(b1[i:]).Add(d0.Add(d1)).Store(b1[i:])
				d1.MulAdd(d1, d0.MulAdd(d0, simd.LoadFloat32s(b2[i:]))).Store(b2[i:])
			}
			continue
		}
		v0, v1 := v[o:][:p], v[o+p:][:p]
		for i := 0; i < p; i += vl {
			k := simd.LoadFloat32s(kp[i:])
			d0, d1 := simd.LoadFloat32s(x0[i:]).Sub(k), simd.LoadFloat32s(x1[i:]).Sub(k)
			g0, g1 := simd.LoadFloat32s(v0[i:]), simd.LoadFloat32s(v1[i:])
			simd.LoadFloat32s(b1[i:]).Add(g0.Add(g1)).Store(b1[i:])
			g1.MulAdd(d1, g0.MulAdd(d0, simd.LoadFloat32s(b2[i:]))).Store(b2[i:])
		}
	}
	if o < len(x) { // one chunk left
		x0 := x[o:][:p]
		for i := 0; i < p; i += vl {
			d := simd.LoadFloat32s(x0[i:]).Sub(simd.LoadFloat32s(kp[i:]))
			g := d
			if v != nil {
				g = simd.LoadFloat32s(v[o+i:])
			}
			simd.LoadFloat32s(b1[i:]).Add(g).Store(b1[i:])
			g.MulAdd(d, simd.LoadFloat32s(b2[i:])).Store(b2[i:])
		}
	}
}
