// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build goexperiment.simd

package activations

import (
	"fmt"
	"math"
	"testing"
)

// TestRelu6SIMD compares the float32 SIMD ReLU6 and its VJP (their AVX2 loops where the CPU has
// AVX2, and the vector and scalar tails) with the scalar kernels, NaNs and the clamp's edges
// included, at lengths around the vector width.
func TestRelu6SIMD(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 16, 31, 64, 1001} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			x, dOut := make([]float32, n), make([]float32, n)
			for i := range x {
				switch i % 11 {
				case 3:
					x[i] = float32(math.NaN())
				case 5:
					x[i] = 6
				case 7:
					x[i] = 0
				default:
					x[i] = float32(i%17)*0.9 - 4
				}
				dOut[i] = float32(i%13) - 6.5
			}
			same := func(a, b float32) bool { return a == b || a != a && b != b }
			got, want := make([]float32, n), make([]float32, n)
			relu6Float32SIMD(x, got)
			relu6NoSIMD(x, want)
			for i := range want {
				if !same(got[i], want[i]) {
					t.Fatalf("relu6 element %d (x=%g): got %g, want %g", i, x[i], got[i], want[i])
				}
			}
			y := append([]float32(nil), want...)
			for _, ref := range [][]float32{y, x} { // read off the output, or off the input
				refY, refX := ref, []float32(nil)
				if &ref[0] == &x[0] {
					refY, refX = nil, x
				}
				vjpRelu6Float32SIMD(refY, refX, dOut, got)
				vjpRelu6NoSIMD(refY, refX, dOut, want)
				for i := range want {
					if !same(got[i], want[i]) {
						t.Fatalf("vjp element %d (ref=%g): got %g, want %g", i, ref[i], got[i], want[i])
					}
				}
			}
		})
	}
}
