// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build !amd64 && goexperiment.simd

package ops

// depthwiseRow3AVX2 needs amd64: the portable loop runs.
func depthwiseRow3AVX2(o, x, k []float32, xoffs, koffs []int, base, c, p4, cv int) bool {
	return false
}

// depthwiseRowDotAVX2 needs amd64: the portable loop runs.
func depthwiseRowDotAVX2(acc, x, v []float32, q0, step, count, c int) int {
	return 0
}

// depthwiseRowAVX2 needs amd64: the portable loop runs.
func depthwiseRowAVX2(o, x, k []float32, xoffs, koffs []int, base, xstep, c, p4, cv int) bool {
	return false
}
