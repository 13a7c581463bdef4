// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package activations

// ReLU6, y = min(max(x, 0), 6), and its VJP dx = dOutput where 0 < y < 6 (else 0), for every dtype
// (added in the posedistill fork, see FORK.md at the module root).

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/dtypes/float16"
)

func init() {
	RegisterKernel[float32]("nosimd:relu6", compute.ActivationRelu6, relu6NoSIMD[float32], PriorityNoSIMD)
	RegisterKernel[float64]("nosimd:relu6", compute.ActivationRelu6, relu6NoSIMD[float64], PriorityNoSIMD)
	RegisterKernel[bfloat16.BFloat16]("nosimd:relu6", compute.ActivationRelu6, relu6Half(bfloat16.FromFloat32), PriorityNoSIMD)
	RegisterKernel[float16.Float16]("nosimd:relu6", compute.ActivationRelu6, relu6Half(float16.FromFloat32), PriorityNoSIMD)
	RegisterVJPKernel[float32]("nosimd:vjp_relu6", compute.ActivationRelu6, vjpRelu6NoSIMD[float32], PriorityNoSIMD)
	RegisterVJPKernel[float64]("nosimd:vjp_relu6", compute.ActivationRelu6, vjpRelu6NoSIMD[float64], PriorityNoSIMD)
	RegisterVJPKernel[bfloat16.BFloat16]("nosimd:vjp_relu6", compute.ActivationRelu6, vjpRelu6Half[bfloat16.BFloat16], PriorityNoSIMD)
	RegisterVJPKernel[float16.Float16]("nosimd:vjp_relu6", compute.ActivationRelu6, vjpRelu6Half[float16.Float16], PriorityNoSIMD)
}

func relu6NoSIMD[T float32 | float64](in, out []T) {
	for i, x := range in {
		out[i] = min(max(x, 0), 6)
	}
}

// halfFloat is a 16-bit float type that converts to float32.
type halfFloat interface {
	~uint16
	Float32() float32
}

func relu6Half[T halfFloat](fromFloat32 func(float32) T) func(in, out []T) {
	return func(in, out []T) {
		for i, x := range in {
			out[i] = fromFloat32(min(max(x.Float32(), 0), 6))
		}
	}
}

// vjpRelu6NoSIMD reads the mask off y when given (0 < y < 6 exactly where 0 < x < 6), else off x.
func vjpRelu6NoSIMD[T float32 | float64](y, x, dOutput, dx []T) {
	ref := y
	if len(ref) == 0 {
		ref = x
	}
	for i, g := range dOutput {
		if r := ref[i]; r > 0 && r < 6 {
			dx[i] = g
		} else {
			dx[i] = 0
		}
	}
}

func vjpRelu6Half[T halfFloat](y, x, dOutput, dx []T) {
	ref := y
	if len(ref) == 0 {
		ref = x
	}
	for i, g := range dOutput {
		if r := ref[i].Float32(); r > 0 && r < 6 {
			dx[i] = g
		} else {
			dx[i] = 0
		}
	}
}
