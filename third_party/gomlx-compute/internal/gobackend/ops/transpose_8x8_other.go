// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build !amd64 || !goexperiment.simd

package ops

import "github.com/gomlx/compute/internal/gobackend"

// transpose2DFloat32 is transpose2D: the 8×8 register blocks (transpose_8x8_amd64.go) need AVX.
func transpose2DFloat32(backend *gobackend.Backend, in, out []float32, h, w int) {
	transpose2D(backend, in, out, h, w)
}
