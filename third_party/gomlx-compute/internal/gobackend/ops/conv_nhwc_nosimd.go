// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build !goexperiment.simd

package ops

// convVectorLen is the number of float32 lanes the kernels work in: 1 without SIMD, so every
// convolution takes convRowOuter.
func convVectorLen() int { return 1 }

// convRowOuter sets, for the pixels p < len(o)/cout of a run of one output row and every output
// channel co, o[p·cout+co] = Σ_t Σ_ci x[xoffs[t]+base+p·xstep+ci]·k[(taps[t]·cin+ci)·cout+co].
func convRowOuter(o, x, k []float32, xoffs, taps []int, base, xstep, cin, cout int) {
	for p := range len(o) / cout {
		op := o[p*cout:][:cout]
		clear(op)
		for t, xo := range xoffs {
			xs := x[xo+base+p*xstep:][:cin]
			for ci, xv := range xs {
				ks := k[(taps[t]*cin+ci)*cout:][:cout]
				for co := range op {
					op[co] += xv * ks[co]
				}
			}
		}
	}
}
