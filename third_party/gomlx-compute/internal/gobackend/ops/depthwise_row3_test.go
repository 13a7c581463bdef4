// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"
	"math"
	"testing"
)

// TestDepthwiseRowTaps compares the row kernel's three-column form (stride 1, taps in threes of
// consecutive columns: depthwiseRow3 where SIMD is on) with depthwiseRow, bit for bit (both sum
// in the taps' order), for channel counts around the SIMD width, run lengths that are and are not
// multiples of four, one to three kernel rows, and tap lists the form does not take (stride 2,
// columns not consecutive), which must go to depthwiseRow; and depthwiseRow (its AVX2 loop too)
// with a float64 sum.
func TestDepthwiseRowTaps(t *testing.T) {
	for _, c := range []int{3, 8, 16, 19, 40, 96} {
		for _, count := range []int{1, 3, 4, 5, 8, 11} {
			for _, kh := range []int{1, 2, 3} {
				for _, form := range []string{"three", "stride2", "gap"} {
					t.Run(fmt.Sprintf("c%d/count%d/kh%d/%s", c, count, kh, form), func(t *testing.T) {
						xstep, gap := c, 1
						switch form {
						case "stride2":
							xstep = 2 * c
						case "gap":
							gap = 2
						}
						width := count*xstep/c + 2*gap + 2 // input columns per row
						rowLen := width * c
						x := make([]float32, (kh+1)*rowLen)
						k := make([]float32, 9*c)
						for i := range x {
							x[i] = float32(math.Sin(float64(i) * 0.37))
						}
						for i := range k {
							k[i] = float32(math.Cos(float64(i) * 0.53))
						}
						var xoffs, koffs []int
						for ky := range kh {
							for kx := range 3 {
								xoffs = append(xoffs, ky*rowLen+kx*gap*c)
								koffs = append(koffs, (ky*3+kx)*c)
							}
						}
						base := c // one column in
						want, got := make([]float32, count*c), make([]float32, count*c)
						depthwiseRow(want, x, k, xoffs, koffs, base, xstep, c)
						depthwiseRowTaps(got, x, k, xoffs, koffs, base, xstep, c)
						for i := range want { // depthwiseRow itself against a float64 sum
							q, ch := i/c, i%c
							var ref float64
							for t, xo := range xoffs {
								ref += float64(x[xo+base+q*xstep+ch]) * float64(k[koffs[t]+ch])
							}
							if math.Abs(float64(want[i])-ref) > 1e-5*(1+math.Abs(ref)) {
								t.Fatalf("depthwiseRow, pixel %d channel %d: got %g, want %g", q, ch, want[i], ref)
							}
						}
						for i := range want {
							if got[i] != want[i] {
								t.Fatalf("pixel %d channel %d: got %g, want %g", i/c, i%c, got[i], want[i])
							}
						}
					})
				}
			}
		}
	}
}

// BenchmarkDepthwiseRowTaps times one output row of a stride-1 3×3 depthwise layer (64 pixels,
// rows of 66 input columns in cache), depthwiseRow against the three-column form, in CPU ns per
// output value.
func BenchmarkDepthwiseRowTaps(b *testing.B) {
	for _, c := range []int{32, 96, 144} {
		const width, count = 66, 64
		x, k, o := make([]float32, 3*width*c), make([]float32, 9*c), make([]float32, count*c)
		var xoffs, koffs []int
		for ky := range 3 {
			for kx := range 3 {
				xoffs = append(xoffs, (ky*width+kx)*c)
				koffs = append(koffs, (ky*3+kx)*c)
			}
		}
		for _, path := range []struct {
			name string
			f    func(o, x, k []float32, xoffs, koffs []int, base, xstep, c int)
		}{{"row", depthwiseRow}, {"taps", depthwiseRowTaps}} {
			b.Run(fmt.Sprintf("c%d/%s", c, path.name), func(b *testing.B) {
				cpu0 := bnCPUTime()
				for range b.N {
					path.f(o, x, k, xoffs, koffs, 0, c, c)
				}
				b.ReportMetric(float64((bnCPUTime()-cpu0).Nanoseconds())/float64(b.N)/float64(count*c), "cpu-ns/value")
			})
		}
	}
}
