package ops

import (
	"fmt"
	"slices"
	"testing"
)

// TestMergeTransposeAxes checks the merged forms the block-swap executor dispatches on.
func TestMergeTransposeAxes(t *testing.T) {
	cases := []struct{ dims, perm, wantDims, wantPerm []int }{
		{[]int{4, 5, 6, 7}, []int{3, 0, 1, 2}, []int{120, 7}, []int{1, 0}},
		{[]int{4, 5, 6, 7}, []int{2, 3, 0, 1}, []int{20, 42}, []int{1, 0}},
		{[]int{3, 4, 5, 6}, []int{0, 3, 1, 2}, []int{3, 20, 6}, []int{0, 2, 1}},
		{[]int{3, 1, 5, 6}, []int{3, 1, 0, 2}, []int{15, 6}, []int{1, 0}},
		{[]int{2, 3, 4, 5}, []int{1, 0, 3, 2}, []int{2, 3, 4, 5}, []int{1, 0, 3, 2}},
		{[]int{2, 3, 4}, []int{0, 1, 2}, []int{24}, []int{0}},
		{[]int{1, 1}, []int{1, 0}, []int{}, []int{}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.dims, tc.perm), func(t *testing.T) {
			d, p := mergeTransposeAxes(tc.dims, tc.perm)
			if !slices.Equal(d, tc.wantDims) || !slices.Equal(p, tc.wantPerm) {
				t.Errorf("got %v %v, want %v %v", d, p, tc.wantDims, tc.wantPerm)
			}
		})
	}
}
