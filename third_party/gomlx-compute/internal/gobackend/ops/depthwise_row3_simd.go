// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build goexperiment.simd

package ops

import "simd"

// depthwiseRowTaps is depthwiseRow, with the taps of a stride-1 run that come in threes of
// consecutive input columns (a 3-wide kernel row: the forward pass and the input gradient of
// every stride-1 3×3 depthwise layer) run by depthwiseRow3.
func depthwiseRowTaps(o, x, k []float32, xoffs, koffs []int, base, xstep, c int) {
	if xstep == c && len(xoffs)%3 == 0 && len(xoffs) > 0 {
		ok := true
		for t := 0; t < len(xoffs); t += 3 {
			if xoffs[t+1] != xoffs[t]+c || xoffs[t+2] != xoffs[t]+2*c {
				ok = false
				break
			}
		}
		if ok {
			depthwiseRow3(o, x, k, xoffs, koffs, base, c)
			return
		}
	}
	depthwiseRow(o, x, k, xoffs, koffs, base, xstep, c)
}

// depthwiseRow3 is depthwiseRow for a stride-1 run whose taps are threes of consecutive input
// columns (xoffs[t+1] = xoffs[t]+c, xoffs[t+2] = xoffs[t]+2c for t a multiple of 3). Four
// adjacent pixels read six input columns per three taps, not twelve: each column's vector is loaded
// once and fed to the pixels that read it. The sums run in the taps' order, as in depthwiseRow, so
// the results are the same to the bit.
func depthwiseRow3(o, x, k []float32, xoffs, koffs []int, base, c int) {
	count := len(o) / c
	vl := simd.BroadcastFloat32s(0).Len()
	cv := c - c%vl // channels in whole vectors
	p := 0
	if depthwiseRow3AVX2(o, x, k, xoffs, koffs, base, c, count-count%4, cv) {
		p = count - count%4
	}
	for ; p+4 <= count; p += 4 {
		shift := base + p*c
		os := o[p*c:][:4*c]
		for cb := 0; cb < cv; cb += vl {
			var a0, a1, a2, a3 simd.Float32s
			for t := 0; t < len(xoffs); t += 3 {
				w0 := simd.LoadFloat32s(k[koffs[t]+cb:])
				w1 := simd.LoadFloat32s(k[koffs[t+1]+cb:])
				w2 := simd.LoadFloat32s(k[koffs[t+2]+cb:])
				xs := x[xoffs[t]+shift+cb:][:5*c+vl]
				x0, x1, x2 := simd.LoadFloat32s(xs), simd.LoadFloat32s(xs[c:]), simd.LoadFloat32s(xs[2*c:])
				a0 = x2.MulAdd(w2, x1.MulAdd(w1, x0.MulAdd(w0, a0)))
				x3 := simd.LoadFloat32s(xs[3*c:])
				a1 = x3.MulAdd(w2, x2.MulAdd(w1, x1.MulAdd(w0, a1)))
				x4 := simd.LoadFloat32s(xs[4*c:])
				a2 = x4.MulAdd(w2, x3.MulAdd(w1, x2.MulAdd(w0, a2)))
				x5 := simd.LoadFloat32s(xs[5*c:])
				a3 = x5.MulAdd(w2, x4.MulAdd(w1, x3.MulAdd(w0, a3)))
			}
			a0.Store(os[cb:])
			a1.Store(os[c+cb:])
			a2.Store(os[2*c+cb:])
			a3.Store(os[3*c+cb:])
		}
	}
	if cv < c { // the last channels of the pixels done above, fewer than a vector
		for q := range p {
			shift := base + q*c
			for ch := cv; ch < c; ch++ {
				var s float32
				for t, xo := range xoffs {
					s += x[xo+shift+ch] * k[koffs[t]+ch]
				}
				o[q*c+ch] = s
			}
		}
	}
	if p < count {
		depthwiseRow(o[p*c:], x, k, xoffs, koffs, base+p*c, c, c)
	}
}
