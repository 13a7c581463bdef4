// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"
	"math"
	"testing"
)

// bnSumsReference is the per-position sums of bnSumsShifted (v nil) and bnSumsGrad in float64.
func bnSumsReference(x, v, kp []float32) (s1, s2 []float64) {
	p := len(kp)
	s1, s2 = make([]float64, p), make([]float64, p)
	for o := 0; o < len(x); o += p {
		for i := range p {
			d := float64(x[o+i]) - float64(kp[i])
			g := d
			if v != nil {
				g = float64(v[o+i])
			}
			s1[i] += g
			s2[i] += g * d
		}
	}
	return s1, s2
}

// TestBatchNormSumsRows compares the channels-last sums kernels, whichever path a width takes (the
// column walk below bnRowsMinVectors vectors per chunk, the row walk from there, the column walk
// at any width for a large tensor, an odd and an even number of chunks), with a float64
// reference.
func TestBatchNormSumsRows(t *testing.T) {
	vl := bnVectorLen()
	for _, vectors := range []int{1, 2, 3, 4, 5, 6, 12, 18} {
		for _, chunks := range []int{1, 2, 7, 32} {
			for _, grad := range []bool{false, true} {
				t.Run(fmt.Sprintf("p%d/chunks%d/grad%v", vectors*vl, chunks, grad), func(t *testing.T) {
					p := vectors * vl
					x, kp := make([]float32, chunks*p), make([]float32, p)
					var v []float32
					for i := range x {
						x[i] = float32((i*37)%23)/7 - 1.5
					}
					for i := range kp {
						kp[i] = float32(i%5) / 3
					}
					if grad {
						v = make([]float32, len(x))
						for i := range v {
							v[i] = float32((i*13)%17)/5 - 1
						}
					}
					s1, s2 := bnSumsReference(x, v, kp)
					// As the width picks (bnSumsShifted, bnSumsGrad), and down the columns whatever
					// the width (a large tensor's block).
					for _, total := range []int{len(x), 1 << 30} {
						b1, b2 := make([]float32, p), make([]float32, p)
						for i := range b1 { // the kernels set, not accumulate
							b1[i], b2[i] = 99, -99
						}
						switch {
						case total > len(x):
							bnSumsBlock(b1, b2, x, v, kp, total)
						case v == nil:
							bnSumsShifted(b1, b2, x, kp)
						default:
							bnSumsGrad(b1, b2, x, v, kp)
						}
						for i := range p {
							if math.Abs(float64(b1[i])-s1[i]) > 1e-4*(1+math.Abs(s1[i])) ||
								math.Abs(float64(b2[i])-s2[i]) > 1e-4*(1+math.Abs(s2[i])) {
								t.Fatalf("total %d, position %d: got %g, %g; want %g, %g", total, i, b1[i], b2[i], s1[i], s2[i])
							}
						}
					}
				})
			}
		}
	}
}

// TestBatchNormApplyLoops compares the channels-last affine loops (bnApply, bnApplyGrad: their
// AVX2 form where the CPU has it) with a float64 reference.
func TestBatchNormApplyLoops(t *testing.T) {
	vl := bnVectorLen()
	for _, vectors := range []int{1, 2, 3, 5, 18} {
		for _, chunks := range []int{1, 3, 32} {
			p := vectors * vl
			n := chunks * p
			x, v, out := make([]float32, n), make([]float32, n), make([]float32, n)
			ap, k1p, bp := make([]float32, p), make([]float32, p), make([]float32, p)
			for i := range x {
				x[i], v[i] = float32((i*37)%23)/7-1.5, float32((i*13)%17)/5-1
			}
			for i := range ap {
				ap[i], k1p[i], bp[i] = float32(i%5)/3-0.5, float32(i%7)/4, float32(i%3)-1
			}
			check := func(name string, ref func(i int) float64) {
				for i := range out {
					if r := ref(i); math.Abs(float64(out[i])-r) > 1e-5*(1+math.Abs(r)) {
						t.Fatalf("%s p%d chunks%d element %d: got %g, want %g", name, p, chunks, i, out[i], r)
					}
				}
			}
			bnApply(out, x, ap, bp)
			check("bnApply", func(i int) float64 { return float64(x[i])*float64(ap[i%p]) + float64(bp[i%p]) })
			bnApplyGrad(out, v, x, ap, k1p, bp)
			check("bnApplyGrad", func(i int) float64 {
				return float64(v[i])*float64(ap[i%p]) + float64(x[i])*float64(k1p[i%p]) + float64(bp[i%p])
			})
		}
	}
}
