//go:build goexperiment.simd

package ops

import "simd"

// rowDotVector is depthwiseRowDot's loop for one vector of channels starting at xo (in x) and vo
// (in v) (posedistill's fork; see FORK.md, "Training steps"): it returns
// Σ_{j<count} x[xo+j·xstep:][:vl]·v[vo+j·c:][:vl] with four accumulators over j, so that four
// multiply-adds are in flight instead of one chain of dependent ones: with one or two vectors of
// channels (8 to 32 channels), the filter gradient of a depthwise layer waited on the multiply-add
// latency.
func rowDotVector(x, v []float32, xo, vo, xstep, c, count int) simd.Float32s {
	var a0, a1, a2, a3 simd.Float32s
	jj := 0
	for ; jj+4 <= count; jj += 4 {
		a0 = simd.LoadFloat32s(x[xo:]).MulAdd(simd.LoadFloat32s(v[vo:]), a0)
		a1 = simd.LoadFloat32s(x[xo+xstep:]).MulAdd(simd.LoadFloat32s(v[vo+c:]), a1)
		a2 = simd.LoadFloat32s(x[xo+2*xstep:]).MulAdd(simd.LoadFloat32s(v[vo+2*c:]), a2)
		a3 = simd.LoadFloat32s(x[xo+3*xstep:]).MulAdd(simd.LoadFloat32s(v[vo+3*c:]), a3)
		xo += 4 * xstep
		vo += 4 * c
	}
	for ; jj < count; jj++ {
		a0 = simd.LoadFloat32s(x[xo:]).MulAdd(simd.LoadFloat32s(v[vo:]), a0)
		xo += xstep
		vo += c
	}
	return a0.Add(a1).Add(a2.Add(a3))
}
