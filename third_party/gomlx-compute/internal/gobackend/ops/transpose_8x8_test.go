// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"
	"testing"
)

// TestTranspose2DFloat32 compares the float32 2-D transpose (8×8 register blocks where the CPU has
// AVX2, with scalar edges) with the generic tiled transpose, on shapes with and without edges of
// fewer than eight rows or columns (TestTransposeBlocks runs it through the executor, split over
// the workers).
func TestTranspose2DFloat32(t *testing.T) {
	for _, hw := range [][2]int{{8, 8}, {16, 24}, {5, 3}, {7, 9}, {9, 7}, {8, 13}, {33, 16}, {4099, 17}, {1000, 144}, {64, 1000}} {
		h, w := hw[0], hw[1]
		t.Run(fmt.Sprintf("%dx%d", h, w), func(t *testing.T) {
			in := make([]float32, h*w)
			for i := range in {
				in[i] = float32(i)*0.5 - 3
			}
			want, got := make([]float32, h*w), make([]float32, h*w)
			transpose2D(nil, in, want, h, w)
			transpose2DFloat32(nil, in, got, h, w)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("element %d (row %d, column %d of the output): got %g, want %g", i, i/h, i%h, got[i], want[i])
				}
			}
		})
	}
}

// BenchmarkTranspose2DFloat32 times the float32 2-D transpose of a 1×1 convolution's operand
// ([16·64·64, c] → [c, 16·64·64]), register blocks against the generic tiles, in CPU ns per element.
func BenchmarkTranspose2DFloat32(b *testing.B) {
	for _, c := range []int{16, 24, 96, 144} {
		h := 16 * 32 * 32
		in, out := make([]float32, h*c), make([]float32, h*c)
		for _, path := range []struct {
			name string
			f    func(in, out []float32, h, w int)
		}{
			{"generic", func(in, out []float32, h, w int) { transpose2D(nil, in, out, h, w) }},
			{"blocks", func(in, out []float32, h, w int) { transpose2DFloat32(nil, in, out, h, w) }},
		} {
			b.Run(fmt.Sprintf("c%d/%s", c, path.name), func(b *testing.B) {
				cpu0 := bnCPUTime()
				for range b.N {
					path.f(in, out, h, c)
				}
				b.ReportMetric(float64((bnCPUTime()-cpu0).Nanoseconds())/float64(b.N)/float64(h*c), "cpu-ns/element")
			})
		}
	}
}
