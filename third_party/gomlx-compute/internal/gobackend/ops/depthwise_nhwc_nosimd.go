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

// depthwiseAccumulate adds x[xoffs[t]+c]·v[c] to acc[koffs[t]+c] for every tap t.
func depthwiseAccumulate(acc, x, v []float32, xoffs, koffs []int) {
	for t, xo := range xoffs {
		xs := x[xo:][:len(v)]
		a := acc[koffs[t]:][:len(v)]
		for c := range v {
			a[c] += xs[c] * v[c]
		}
	}
}
