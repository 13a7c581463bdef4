// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// bnCPUTime returns the process's user+system CPU time.
func bnCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBatchNormLoops times the channels-last batch-norm inner loops (one thread) on a
// 16×32×32×c tensor, in CPU ns per element.
func BenchmarkBatchNormLoops(b *testing.B) {
	for _, c := range []int{16, 24, 144} {
		rows := 16 * 32 * 32
		x, v, out := make([]float32, rows*c), make([]float32, rows*c), make([]float32, rows*c)
		for i := range x {
			x[i], v[i] = float32(i%7)-3, float32(i%5)-2
		}
		bp := newBNPattern(rows, c)
		k, a, k1, bb := make([]float32, c), make([]float32, c), make([]float32, c), make([]float32, c)
		var cpu0 time.Duration
		report := func(b *testing.B) {
			b.ReportMetric(float64((bnCPUTime()-cpu0).Nanoseconds())/float64(b.N)/float64(rows*c), "cpu-ns/element")
		}
		b.Run(fmt.Sprintf("c%d/sums", c), func(b *testing.B) {
			cpu0 = bnCPUTime()
			for range b.N {
				bp.sums(nil, x, nil, k, nil)
			}
			report(b)
		})
		b.Run(fmt.Sprintf("c%d/sumsGrad", c), func(b *testing.B) {
			cpu0 = bnCPUTime()
			for range b.N {
				bp.sums(nil, x, v, k, nil)
			}
			report(b)
		})
		b.Run(fmt.Sprintf("c%d/apply", c), func(b *testing.B) {
			cpu0 = bnCPUTime()
			for range b.N {
				bp.affine(nil, x, nil, a, nil, bb, out, nil, nil)
			}
			report(b)
		})
		b.Run(fmt.Sprintf("c%d/applyGrad", c), func(b *testing.B) {
			cpu0 = bnCPUTime()
			for range b.N {
				bp.affine(nil, x, v, a, k1, bb, out, nil, nil)
			}
			report(b)
		})
	}
}

// BenchmarkBatchNormSumsPaths times the two walks of the channels-last sums on 32-chunk blocks of a
// 16×32×32×c tensor (as bnPattern.sums calls them), in CPU ns per element.
func BenchmarkBatchNormSumsPaths(b *testing.B) {
	for _, c := range []int{48, 96, 144, 192} {
		rows := 16 * 32 * 32
		x, v := make([]float32, rows*c), make([]float32, rows*c)
		for i := range x {
			x[i], v[i] = float32(i%7)-3, float32(i%5)-2
		}
		bp := newBNPattern(rows, c)
		kp, b1, b2 := make([]float32, bp.p), make([]float32, bp.p), make([]float32, bp.p)
		for _, path := range []struct {
			name string
			f    func(b1, b2, x, v, kp []float32)
		}{{"columns", bnSumsColumnsForBench}, {"rows", bnSums}} {
			for _, grad := range []bool{false, true} {
				b.Run(fmt.Sprintf("c%d/%s/grad%v", c, path.name, grad), func(b *testing.B) {
					var vv []float32
					if grad {
						vv = v
					}
					cpu0 := bnCPUTime()
					for range b.N {
						for r := 0; r < bp.chunks; r += bnBlock {
							re := min(bp.chunks, r+bnBlock)
							var vs []float32
							if vv != nil {
								vs = vv[r*bp.p : re*bp.p]
							}
							path.f(b1, b2, x[r*bp.p:re*bp.p], vs, kp)
						}
					}
					b.ReportMetric(float64((bnCPUTime()-cpu0).Nanoseconds())/float64(b.N)/float64(rows*c), "cpu-ns/element")
				})
			}
		}
	}
}
