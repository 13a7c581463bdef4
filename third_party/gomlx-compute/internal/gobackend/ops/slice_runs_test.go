package ops

import (
	"fmt"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

// TestSliceRuns compares the run-copying Slice (sliceRuns) with the generic element-by-element one
// (execSliceGeneric): crops of NHWC tensors on every axis, whole trailing axes, strides on the
// leading axes, an axis of size 1.
func TestSliceRuns(t *testing.T) {
	cases := []struct{ dims, starts, limits, strides []int }{
		{[]int{2, 6, 7, 5}, []int{0, 1, 2, 0}, []int{2, 5, 6, 5}, []int{1, 1, 1, 1}}, // spatial crop: runs of 4·5
		{[]int{2, 6, 7, 5}, []int{1, 0, 0, 1}, []int{2, 6, 7, 4}, []int{1, 1, 1, 1}}, // channel crop: runs of 3
		{[]int{3, 6, 7, 5}, []int{0, 0, 1, 0}, []int{3, 6, 7, 5}, []int{2, 2, 1, 1}}, // strided outer axes
		{[]int{4, 1, 9}, []int{1, 0, 2}, []int{4, 1, 9}, []int{1, 1, 1}},
		{[]int{5, 8}, []int{0, 0}, []int{5, 8}, []int{1, 1}}, // whole: one run
		{[]int{5, 8}, []int{1, 0}, []int{4, 8}, []int{1, 1}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.dims, tc.starts, tc.limits, tc.strides), func(t *testing.T) {
			outDims := make([]int, len(tc.dims))
			for a := range outDims {
				outDims[a] = (tc.limits[a] - tc.starts[a] + tc.strides[a] - 1) / tc.strides[a]
			}
			params := &sliceNode{starts: tc.starts, limits: tc.limits, strides: tc.strides}
			inShape, outShape := shapes.Make(dtypes.Float32, tc.dims...), shapes.Make(dtypes.Float32, outDims...)
			src := make([]float32, inShape.Size())
			for i := range src {
				src[i] = float32(i)
			}
			want := &gobackend.Buffer{RawShape: outShape, Flat: make([]float32, outShape.Size())}
			execSliceGeneric[float32](&gobackend.Buffer{RawShape: inShape, Flat: src}, want, params)
			run, outer := sliceRun(tc.dims, outDims, tc.strides)
			if run < 2 {
				t.Fatalf("run %d: not a run-copying slice", run)
			}
			got := make([]float32, outShape.Size())
			sliceRuns(src, got, tc.dims, outDims, params, run, outer)
			for i, w := range want.Flat.([]float32) {
				if got[i] != w {
					t.Fatalf("element %d: got %g, want %g (run %d, outer %d)", i, got[i], w, run, outer)
				}
			}
		})
	}
}
