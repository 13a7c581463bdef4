// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build !goexperiment.simd

package ops

// depthwiseRowTaps is depthwiseRow (the three-column form, depthwise_row3_simd.go, is SIMD only).
func depthwiseRowTaps(o, x, k []float32, xoffs, koffs []int, base, xstep, c int) {
	depthwiseRow(o, x, k, xoffs, koffs, base, xstep, c)
}
