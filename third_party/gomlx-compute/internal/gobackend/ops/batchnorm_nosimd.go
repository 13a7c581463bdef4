// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build !goexperiment.simd

package ops

// The inner loops of the channels-last batch norm (batchnorm.go), scalar: x, v and out are whole
// chunks of p = len(kp) elements.

// bnVectorLen is 1: no SIMD.
func bnVectorLen() int { return 1 }

// bnSumsShifted sets b1[i] = Σ_j (x[j·p+i] − kp[i]) and b2[i] = Σ_j (x[j·p+i] − kp[i])².
func bnSumsShifted(b1, b2, x, kp []float32) {
	p := len(kp)
	clear(b1)
	clear(b2)
	for o := 0; o < len(x); o += p {
		for i, xv := range x[o:][:p] {
			d := xv - kp[i]
			b1[i] += d
			b2[i] += d * d
		}
	}
}

// bnSumsGrad sets b1[i] = Σ_j v[j·p+i] and b2[i] = Σ_j v[j·p+i]·(x[j·p+i] − kp[i]).
func bnSumsGrad(b1, b2, x, v, kp []float32) {
	p := len(kp)
	clear(b1)
	clear(b2)
	for o := 0; o < len(x); o += p {
		vs := v[o:][:p]
		for i, xv := range x[o:][:p] {
			b1[i] += vs[i]
			b2[i] += vs[i] * (xv - kp[i])
		}
	}
}

// bnApply sets out[j·p+i] = x[j·p+i]·ap[i] + bp[i].
func bnApply(out, x, ap, bp []float32) {
	p := len(ap)
	for o := 0; o < len(x); o += p {
		os := out[o:][:p]
		for i, xv := range x[o:][:p] {
			os[i] = xv*ap[i] + bp[i]
		}
	}
}

// bnApplyGrad sets out[j·p+i] = v[j·p+i]·ap[i] + x[j·p+i]·k1p[i] + bp[i].
func bnApplyGrad(out, v, x, ap, k1p, bp []float32) {
	p := len(ap)
	for o := 0; o < len(x); o += p {
		vs, os := v[o:][:p], out[o:][:p]
		for i, xv := range x[o:][:p] {
			os[i] = vs[i]*ap[i] + xv*k1p[i] + bp[i]
		}
	}
}

// bnSumsBlock is bnSumsShifted (v nil) or bnSumsGrad (the SIMD build picks a walk by the tensor's
// size, total).
func bnSumsBlock(b1, b2, x, v, kp []float32, total int) {
	if v == nil {
		bnSumsShifted(b1, b2, x, kp)
		return
	}
	bnSumsGrad(b1, b2, x, v, kp)
}
