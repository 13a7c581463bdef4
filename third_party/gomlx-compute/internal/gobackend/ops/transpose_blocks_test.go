package ops_test

import (
	"fmt"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	_ "github.com/gomlx/compute/internal/gobackend/ops"
	"github.com/gomlx/compute/shapes"
)

// referenceTranspose transposes a row-major array of dims by perm, element by element.
func referenceTranspose(in []float32, dims, perm []int) []float32 {
	rank := len(dims)
	strides := make([]int, rank)
	s := 1
	for a := rank - 1; a >= 0; a-- {
		strides[a] = s
		s *= dims[a]
	}
	outDims := make([]int, rank)
	for i, p := range perm {
		outDims[i] = dims[p]
	}
	out := make([]float32, len(in))
	idx := make([]int, rank) // output index
	for o := range out {
		src := 0
		for i, p := range perm {
			src += idx[i] * strides[p]
		}
		out[o] = in[src]
		for a := rank - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < outDims[a] {
				break
			}
			idx[a] = 0
		}
	}
	return out
}

// TestTransposeBlocks checks transposes that are block swaps once runs of axes are merged (run as
// 2-D transposes, batched or not) and some that are not (the generic executor), against an
// element-by-element reference.
func TestTransposeBlocks(t *testing.T) {
	backend := compute.MustNew()
	defer backend.Finalize()
	cases := []struct{ dims, perm []int }{
		{[]int{4, 5, 6, 7}, []int{3, 0, 1, 2}},       // NHWC -> CNHW: [N·H·W, C]ᵀ
		{[]int{16, 8, 8, 48}, []int{3, 0, 1, 2}},     // large enough for the parallel 2-D kernel
		{[]int{16, 9, 13, 20}, []int{3, 0, 1, 2}},    // 8×8 blocks with edges, in parallel
		{[]int{2, 3, 9, 12}, []int{0, 3, 1, 2}},      // batched, 8×8 blocks with edges
		{[]int{4, 5, 6, 7}, []int{2, 3, 0, 1}},       // [N·H, W·C]ᵀ
		{[]int{3, 4, 5, 6}, []int{0, 3, 1, 2}},       // batched: [N][H·W, C]ᵀ
		{[]int{3, 1, 5, 6}, []int{3, 1, 0, 2}},       // an axis of size 1 ignored
		{[]int{2, 3, 4, 5}, []int{1, 0, 3, 2}},       // not a block swap: generic
		{[]int{2, 3, 4}, []int{1, 0, 2}},             // trailing axis kept: upstream's path
		{[]int{5, 7}, []int{1, 0}},                   // rank 2: upstream's path
		{[]int{2, 3, 4, 5, 6}, []int{3, 4, 0, 1, 2}}, // rank 5
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%v/%v", tc.dims, tc.perm), func(t *testing.T) {
			shape := shapes.Make(dtypes.Float32, tc.dims...)
			builder := backend.Builder("transpose").(*gobackend.Builder)
			main := builder.Main().(*gobackend.Function)
			x, err := main.Parameter("x", shape, nil)
			if err != nil {
				t.Fatal(err)
			}
			y, err := main.Transpose(x, tc.perm...)
			if err != nil {
				t.Fatal(err)
			}
			if err := main.Return([]compute.Value{y}, nil); err != nil {
				t.Fatal(err)
			}
			exec, err := builder.Compile()
			if err != nil {
				t.Fatal(err)
			}
			data := make([]float32, shape.Size())
			for i := range data {
				data[i] = float32(i)
			}
			buf, err := backend.BufferFromFlatData(0, data, shape)
			if err != nil {
				t.Fatal(err)
			}
			out, err := exec.Execute([]compute.Buffer{buf}, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			got := out[0].(*gobackend.Buffer).Flat.([]float32)
			want := referenceTranspose(data, tc.dims, tc.perm)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("element %d: got %g, want %g", i, got[i], want[i])
				}
			}
		})
	}
}
