// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build goexperiment.simd

package ops

import "simd"

// depthwisePixel sets o[c] = Σ_t x[xoffs[t]+c]·k[koffs[t]+c], accumulating in SIMD registers, up to
// four vectors of channels at a time.
func depthwisePixel(o, x, k []float32, xoffs, koffs []int) {
	c := len(o)
	vl := simd.BroadcastFloat32s(0).Len()
	cb := 0
	for ; cb+4*vl <= c; cb += 4 * vl {
		a0 := simd.BroadcastFloat32s(0)
		a1, a2, a3 := a0, a0, a0
		for t, xo := range xoffs {
			xs := x[xo+cb:][:4*vl]
			ks := k[koffs[t]+cb:][:4*vl]
			a0 = simd.LoadFloat32s(xs).MulAdd(simd.LoadFloat32s(ks), a0)
			a1 = simd.LoadFloat32s(xs[vl:]).MulAdd(simd.LoadFloat32s(ks[vl:]), a1)
			a2 = simd.LoadFloat32s(xs[2*vl:]).MulAdd(simd.LoadFloat32s(ks[2*vl:]), a2)
			a3 = simd.LoadFloat32s(xs[3*vl:]).MulAdd(simd.LoadFloat32s(ks[3*vl:]), a3)
		}
		os := o[cb:][:4*vl]
		a0.Store(os)
		a1.Store(os[vl:])
		a2.Store(os[2*vl:])
		a3.Store(os[3*vl:])
	}
	for ; cb+vl <= c; cb += vl {
		a := simd.BroadcastFloat32s(0)
		for t, xo := range xoffs {
			a = simd.LoadFloat32s(x[xo+cb:]).MulAdd(simd.LoadFloat32s(k[koffs[t]+cb:]), a)
		}
		a.Store(o[cb:])
	}
	for ; cb < c; cb++ {
		var s float32
		for t, xo := range xoffs {
			s += x[xo+cb] * k[koffs[t]+cb]
		}
		o[cb] = s
	}
}

// depthwiseRowDot adds Σ_{j<count} x[(q0+j·step)·c + ch]·v[j·c + ch] to acc[ch] for every channel ch < c,
// accumulating in SIMD registers.
func depthwiseRowDot(acc, x, v []float32, q0, step, count, c int) {
	vl := simd.BroadcastFloat32s(0).Len()
	xstep := step * c
	cb := depthwiseRowDotAVX2(acc, x, v, q0, step, count, c) // depthwise_rowdot_amd64.go
	for ; cb+4*vl <= c; cb += 4 * vl {
		a0 := simd.BroadcastFloat32s(0)
		a1, a2, a3 := a0, a0, a0
		xo, vo := q0*c+cb, cb
		for jj := 0; jj < count; jj++ {
			xs := x[xo:][:4*vl]
			vs := v[vo:][:4*vl]
			a0 = simd.LoadFloat32s(xs).MulAdd(simd.LoadFloat32s(vs), a0)
			a1 = simd.LoadFloat32s(xs[vl:]).MulAdd(simd.LoadFloat32s(vs[vl:]), a1)
			a2 = simd.LoadFloat32s(xs[2*vl:]).MulAdd(simd.LoadFloat32s(vs[2*vl:]), a2)
			a3 = simd.LoadFloat32s(xs[3*vl:]).MulAdd(simd.LoadFloat32s(vs[3*vl:]), a3)
			xo += xstep
			vo += c
		}
		as := acc[cb:][:4*vl]
		a0.Add(simd.LoadFloat32s(as)).Store(as)
		a1.Add(simd.LoadFloat32s(as[vl:])).Store(as[vl:])
		a2.Add(simd.LoadFloat32s(as[2*vl:])).Store(as[2*vl:])
		a3.Add(simd.LoadFloat32s(as[3*vl:])).Store(as[3*vl:])
	}
	for ; cb+vl <= c; cb += vl {
		a := rowDotVector(x, v, q0*c+cb, cb, xstep, c, count) // depthwise_rowdot_simd.go
		a.Add(simd.LoadFloat32s(acc[cb:])).Store(acc[cb:])
	}
	for ; cb < c; cb++ {
		var s float32
		xo, vo := q0*c+cb, cb
		for jj := 0; jj < count; jj++ {
			s += x[xo] * v[vo]
			xo += xstep
			vo += c
		}
		acc[cb] += s
	}
}

// depthwiseRow sets, for the pixels p < len(o)/c of a run of one output row,
// o[p·c+ch] = Σ_t x[xoffs[t]+base+p·xstep+ch]·k[koffs[t]+ch]: the taps are the same for every pixel
// of the run, shifted by xstep. Four pixels at a time, each vector of channels is accumulated for the
// four together, so that one load of the kernel feeds four independent multiply-adds; the pixels are
// the outer loop, so that the input the taps of four pixels read stays in cache across the channels.
func depthwiseRow(o, x, k []float32, xoffs, koffs []int, base, xstep, c int) {
	count := len(o) / c
	vl := simd.BroadcastFloat32s(0).Len()
	cv := c - c%vl // channels in whole vectors
	p := 0
	if depthwiseRowAVX2(o, x, k, xoffs, koffs, base, xstep, c, count-count%4, cv) { // depthwise_row3_amd64.go
		p = count - count%4
	}
	for ; p+4 <= count; p += 4 {
		shift := base + p*xstep
		os := o[p*c:][:4*c]
		for cb := 0; cb < cv; cb += vl {
			var a0, a1, a2, a3 simd.Float32s
			for t, xo := range xoffs {
				w := simd.LoadFloat32s(k[koffs[t]+cb:])
				xs := x[xo+shift+cb:][:3*xstep+vl]
				a0 = simd.LoadFloat32s(xs).MulAdd(w, a0)
				a1 = simd.LoadFloat32s(xs[xstep:]).MulAdd(w, a1)
				a2 = simd.LoadFloat32s(xs[2*xstep:]).MulAdd(w, a2)
				a3 = simd.LoadFloat32s(xs[3*xstep:]).MulAdd(w, a3)
			}
			a0.Store(os[cb:])
			a1.Store(os[c+cb:])
			a2.Store(os[2*c+cb:])
			a3.Store(os[3*c+cb:])
		}
	}
	for ; p < count; p++ {
		shift := base + p*xstep
		for cb := 0; cb < cv; cb += vl {
			var a simd.Float32s
			for t, xo := range xoffs {
				a = simd.LoadFloat32s(x[xo+shift+cb:]).MulAdd(simd.LoadFloat32s(k[koffs[t]+cb:]), a)
			}
			a.Store(o[p*c+cb:])
		}
	}
	if cv == c {
		return
	}
	// The last channels, fewer than a vector.
	for p := range count {
		shift := base + p*xstep
		for ch := cv; ch < c; ch++ {
			var s float32
			for t, xo := range xoffs {
				s += x[xo+shift+ch] * k[koffs[t]+ch]
			}
			o[p*c+ch] = s
		}
	}
}
