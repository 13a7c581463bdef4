// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build goexperiment.simd

package activations

// ReLU6 and its VJP for float32 in SIMD registers (added in the posedistill fork, see FORK.md).

import (
	"simd"

	"github.com/gomlx/compute"
)

func init() {
	RegisterKernel[float32]("simd:relu6", compute.ActivationRelu6, relu6Float32SIMD, PrioritySIMD)
	RegisterVJPKernel[float32]("simd:vjp_relu6", compute.ActivationRelu6, vjpRelu6Float32SIMD, PrioritySIMD)
}

// relu6Float32SIMD keeps NaNs (as the scalar kernel and GoMLX's Max/Min do): the vector Min of a
// NaN and 6 can be 6, so NaN lanes are put back explicitly.
func relu6Float32SIMD(in, out []float32) {
	zero, six := simd.BroadcastFloat32s(0), simd.BroadcastFloat32s(6)
	vl := zero.Len()
	i := relu6AVX2(in, out) // relu6_amd64.go
	for ; i+vl <= len(in); i += vl {
		x := simd.LoadFloat32s(in[i:])
		selectFloat32s(x.NotEqual(x), x, x.Max(zero).Min(six)).Store(out[i:])
	}
	relu6NoSIMD(in[i:], out[i:len(in)])
}

func vjpRelu6Float32SIMD(y, x, dOutput, dx []float32) {
	ref := y
	if len(ref) == 0 {
		ref = x
	}
	zero, six := simd.BroadcastFloat32s(0), simd.BroadcastFloat32s(6)
	vl := zero.Len()
	i := vjpRelu6AVX2(ref, dOutput, dx) // relu6_amd64.go
	for ; i+vl <= len(dOutput); i += vl {
		r := simd.LoadFloat32s(ref[i:])
		inside := r.Greater(zero).And(r.Less(six))
		selectFloat32s(inside, simd.LoadFloat32s(dOutput[i:]), zero).Store(dx[i:])
	}
	vjpRelu6NoSIMD(ref[i:], nil, dOutput[i:], dx[i:len(dOutput)])
}
