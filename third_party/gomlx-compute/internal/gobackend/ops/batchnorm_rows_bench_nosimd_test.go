// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build !goexperiment.simd

package ops

// bnSums is the scalar sums, shifted (v nil) or for the gradient: without SIMD there is one walk.
func bnSums(b1, b2, x, v, kp []float32) {
	if v == nil {
		bnSumsShifted(b1, b2, x, kp)
		return
	}
	bnSumsGrad(b1, b2, x, v, kp)
}

// bnSumsColumnsForBench is bnSums (BenchmarkBatchNormSumsPaths).
var bnSumsColumnsForBench = bnSums
