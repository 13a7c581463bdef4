// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build goexperiment.simd

package ops

import "simd"

// depthwisePixel sets o[c] = Σ_t x[xoffs[t]+c]·k[koffs[t]+c], accumulating in SIMD registers.
func depthwisePixel(o, x, k []float32, xoffs, koffs []int) {
	c := len(o)
	vLen := simd.BroadcastFloat32s(0).Len()
	cb := 0
	for ; cb+2*vLen <= c; cb += 2 * vLen {
		acc0 := simd.BroadcastFloat32s(0)
		acc1 := acc0
		for t, xo := range xoffs {
			xs := x[xo+cb:]
			ks := k[koffs[t]+cb:]
			acc0 = simd.LoadFloat32s(xs).MulAdd(simd.LoadFloat32s(ks), acc0)
			acc1 = simd.LoadFloat32s(xs[vLen:]).MulAdd(simd.LoadFloat32s(ks[vLen:]), acc1)
		}
		acc0.Store(o[cb:])
		acc1.Store(o[cb+vLen:])
	}
	for ; cb+vLen <= c; cb += vLen {
		acc := simd.BroadcastFloat32s(0)
		for t, xo := range xoffs {
			acc = simd.LoadFloat32s(x[xo+cb:]).MulAdd(simd.LoadFloat32s(k[koffs[t]+cb:]), acc)
		}
		acc.Store(o[cb:])
	}
	for ; cb < c; cb++ {
		var s float32
		for t, xo := range xoffs {
			s += x[xo+cb] * k[koffs[t]+cb]
		}
		o[cb] = s
	}
}

// depthwiseAccumulate adds x[xoffs[t]+c]·v[c] to acc[koffs[t]+c] for every tap t.
func depthwiseAccumulate(acc, x, v []float32, xoffs, koffs []int) {
	c := len(v)
	vLen := simd.BroadcastFloat32s(0).Len()
	cb := 0
	for ; cb+vLen <= c; cb += vLen {
		vv := simd.LoadFloat32s(v[cb:])
		for t, xo := range xoffs {
			a := acc[koffs[t]+cb:]
			simd.LoadFloat32s(x[xo+cb:]).MulAdd(vv, simd.LoadFloat32s(a)).Store(a)
		}
	}
	for ; cb < c; cb++ {
		for t, xo := range xoffs {
			acc[koffs[t]+cb] += x[xo+cb] * v[cb]
		}
	}
}
