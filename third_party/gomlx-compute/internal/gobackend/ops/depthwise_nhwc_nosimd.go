// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build !goexperiment.simd

package ops

// depthwisePixel sets o[c] = Σ_t x[xoffs[t]+c]·k[koffs[t]+c].
func depthwisePixel(o, x, k []float32, xoffs, koffs []int) {
	clear(o)
	for t, xo := range xoffs {
		xs := x[xo:][:len(o)]
		ks := k[koffs[t]:][:len(o)]
		for c := range o {
			o[c] += xs[c] * ks[c]
		}
	}
}

// depthwiseRowDot adds Σ_{j<count} x[(q0+j·step)·c + ch]·v[j·c + ch] to acc[ch] for every channel ch < c.
func depthwiseRowDot(acc, x, v []float32, q0, step, count, c int) {
	a := acc[:c]
	for j := range count {
		xs := x[(q0+j*step)*c:][:c]
		vs := v[j*c:][:c]
		for ch := range a {
			a[ch] += xs[ch] * vs[ch]
		}
	}
}

// depthwiseRow sets, for the pixels p < len(o)/c of a run of one output row,
// o[p·c+ch] = Σ_t x[xoffs[t]+base+p·xstep+ch]·k[koffs[t]+ch].
func depthwiseRow(o, x, k []float32, xoffs, koffs []int, base, xstep, c int) {
	for p := range len(o) / c {
		op := o[p*c:][:c]
		clear(op)
		shift := base + p*xstep
		for t, xo := range xoffs {
			xs := x[xo+shift:][:c]
			ks := k[koffs[t]:][:c]
			for ch := range op {
				op[ch] += xs[ch] * ks[ch]
			}
		}
	}
}
