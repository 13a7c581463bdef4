// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build goexperiment.simd

package ops

import "simd"

// convVectorLen is the number of float32 lanes of a SIMD vector.
func convVectorLen() int { return simd.BroadcastFloat32s(0).Len() }

// convRowOuter sets, for the pixels p < len(o)/cout of a run of one output row and every output
// channel co, o[p·cout+co] = Σ_t Σ_ci x[xoffs[t]+base+p·xstep+ci]·k[(taps[t]·cin+ci)·cout+co]: vectors
// of output channels, four pixels at a time, each input value broadcast.
func convRowOuter(o, x, k []float32, xoffs, taps []int, base, xstep, cin, cout int) {
	count := len(o) / cout
	vl := simd.BroadcastFloat32s(0).Len()
	co := 0
	for ; co+vl <= cout; co += vl {
		p := 0
		for ; p+4 <= count; p += 4 {
			var a0, a1, a2, a3 simd.Float32s
			for t, xo := range xoffs {
				xs := x[xo+base+p*xstep:][:3*xstep+cin]
				ks := k[taps[t]*cin*cout+co:][:(cin-1)*cout+vl]
				for ci := range cin {
					w := simd.LoadFloat32s(ks[ci*cout:])
					a0 = simd.BroadcastFloat32s(xs[ci]).MulAdd(w, a0)
					a1 = simd.BroadcastFloat32s(xs[xstep+ci]).MulAdd(w, a1)
					a2 = simd.BroadcastFloat32s(xs[2*xstep+ci]).MulAdd(w, a2)
					a3 = simd.BroadcastFloat32s(xs[3*xstep+ci]).MulAdd(w, a3)
				}
			}
			os := o[p*cout+co:][:3*cout+vl]
			a0.Store(os)
			a1.Store(os[cout:])
			a2.Store(os[2*cout:])
			a3.Store(os[3*cout:])
		}
		for ; p < count; p++ {
			var a simd.Float32s
			for t, xo := range xoffs {
				xs := x[xo+base+p*xstep:][:cin]
				ks := k[taps[t]*cin*cout+co:][:(cin-1)*cout+vl]
				for ci := range cin {
					a = simd.BroadcastFloat32s(xs[ci]).MulAdd(simd.LoadFloat32s(ks[ci*cout:]), a)
				}
			}
			a.Store(o[p*cout+co:])
		}
	}
	// The last output channels, fewer than a vector.
	for ; co < cout; co++ {
		for p := range count {
			var s float32
			for t, xo := range xoffs {
				xs := x[xo+base+p*xstep:][:cin]
				for ci := range cin {
					s += xs[ci] * k[(taps[t]*cin+ci)*cout+co]
				}
			}
			o[p*cout+co] = s
		}
	}
}
