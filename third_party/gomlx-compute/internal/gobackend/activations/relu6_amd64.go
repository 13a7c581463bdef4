// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package activations

import (
	"simd/archsimd"
	"unsafe"
)

// ReLU6 and its VJP for float32 as AVX2 loops through unsafe pointers (posedistill's fork, see
// FORK.md, "Training steps"): with slices, each load's bounds check and slice arithmetic were as
// many instructions as the clamp or the mask (the VJP runs in every MobileNetV2 block's batch-norm
// gradient). Each returns how many leading elements it did, a multiple of 8 (0 without AVX2); the
// slice loops do the rest.

var relu6AVX2Allowed = archsimd.X86.AVX2()

func ld8(p unsafe.Pointer, i int) archsimd.Float32x8 {
	return archsimd.LoadFloat32x8Array((*[8]float32)(unsafe.Add(p, 4*i)))
}

// relu6AVX2 is relu6Float32SIMD's loop: out = min(max(in, 0), 6), NaNs kept.
func relu6AVX2(in, out []float32) int {
	n := min(len(in), len(out))
	n -= n % 8
	if !relu6AVX2Allowed || n == 0 {
		return 0
	}
	pi, po := unsafe.Pointer(unsafe.SliceData(in)), unsafe.Pointer(unsafe.SliceData(out))
	zero, six := archsimd.BroadcastFloat32x8(0), archsimd.BroadcastFloat32x8(6)
	for i := 0; i < n; i += 8 {
		x := ld8(pi, i)
		x.IfElse(x.NotEqual(x), x.Max(zero).Min(six)).StoreArray((*[8]float32)(unsafe.Add(po, 4*i)))
	}
	return n
}

// vjpRelu6AVX2 is vjpRelu6Float32SIMD's loop: dx = dOutput where 0 < ref < 6, else 0.
func vjpRelu6AVX2(ref, dOutput, dx []float32) int {
	n := min(len(ref), len(dOutput), len(dx))
	n -= n % 8
	if !relu6AVX2Allowed || n == 0 {
		return 0
	}
	pr, pd, px := unsafe.Pointer(unsafe.SliceData(ref)), unsafe.Pointer(unsafe.SliceData(dOutput)), unsafe.Pointer(unsafe.SliceData(dx))
	zero, six := archsimd.BroadcastFloat32x8(0), archsimd.BroadcastFloat32x8(6)
	for i := 0; i < n; i += 8 {
		r := ld8(pr, i)
		ld8(pd, i).Masked(r.Greater(zero).And(r.Less(six))).StoreArray((*[8]float32)(unsafe.Add(px, 4*i)))
	}
	return n
}
