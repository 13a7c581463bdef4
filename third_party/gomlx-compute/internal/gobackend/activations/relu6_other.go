// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build !amd64 && goexperiment.simd

package activations

// The AVX2 loops (relu6_amd64.go) need amd64: the portable loops do everything.

func relu6AVX2(in, out []float32) int             { return 0 }
func vjpRelu6AVX2(ref, dOutput, dx []float32) int { return 0 }
