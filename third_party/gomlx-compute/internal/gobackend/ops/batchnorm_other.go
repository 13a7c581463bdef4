// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build !amd64 && goexperiment.simd

package ops

// The AVX2 batch-norm loops (batchnorm_amd64.go) need amd64: the portable loops run.

func bnSumsAVX2(b1, b2, x, v, kp []float32, rows bool) bool { return false }
func bnApplyAVX2(out, x, ap, bp []float32) bool             { return false }
func bnApplyGradAVX2(out, v, x, ap, k1p, bp []float32) bool { return false }
