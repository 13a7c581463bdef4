package runs

import (
	"slices"
	"testing"
)

func TestLayoutTransposes(t *testing.T) {
	tests := []struct{ h, w, c int }{{1, 1, 1}, {2, 3, 4}, {5, 1, 2}}
	for _, tt := range tests {
		x := make([]float32, tt.h*tt.w*tt.c)
		for i := range x {
			x[i] = float32(i)
		}
		y := toNCHW(x, tt.h, tt.w, tt.c)
		// [h, w, c] element (1 along every axis, if present) lands at [c, h, w].
		if tt.h > 1 && tt.w > 1 && tt.c > 1 {
			if got, want := y[(1*tt.h+1)*tt.w+1], x[(1*tt.w+1)*tt.c+1]; got != want {
				t.Errorf("%v: toNCHW moved element to %v, want %v", tt, got, want)
			}
		}
		if back := toNHWC(y, tt.h, tt.w, tt.c); !slices.Equal(back, x) {
			t.Errorf("%v: toNHWC(toNCHW(x)) = %v, want %v", tt, back, x)
		}
	}
}
