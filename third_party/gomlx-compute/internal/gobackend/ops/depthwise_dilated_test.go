package ops

import (
	"fmt"
	"math"
	"testing"
)

// TestDepthwiseDilatedColumns compares the dilated-column row path (forwardDilatedColumns) with every
// pixel listing its own taps (depthwisePixel, the path it replaces), for dilations 2 and 3, kernels
// wider and narrower than the dilation, paddings, and channel counts around the SIMD width.
func TestDepthwiseDilatedColumns(t *testing.T) {
	cases := []depthwise{
		{n: 2, h: 5, w: 9, c: 16, kh: 3, kw: 3, stride: [2]int{1, 1}, lo: [2]int{1, 1}, dil: [2]int{2, 2}},
		{n: 1, h: 6, w: 15, c: 19, kh: 3, kw: 3, stride: [2]int{1, 1}, lo: [2]int{2, 2}, dil: [2]int{2, 2}},
		{n: 1, h: 4, w: 12, c: 8, kh: 5, kw: 5, stride: [2]int{1, 1}, lo: [2]int{3, 4}, dil: [2]int{2, 2}},
		{n: 2, h: 4, w: 11, c: 3, kh: 3, kw: 3, stride: [2]int{1, 1}, lo: [2]int{2, 2}, dil: [2]int{3, 3}},
		{n: 1, h: 3, w: 13, c: 40, kh: 2, kw: 2, stride: [2]int{1, 1}, lo: [2]int{1, 1}, dil: [2]int{3, 3}},
		{n: 1, h: 3, w: 2, c: 8, kh: 3, kw: 3, stride: [2]int{1, 1}, lo: [2]int{2, 2}, dil: [2]int{2, 2}}, // all border
	}
	for _, d := range cases {
		// Output size of a stride-1 convolution of the dilated input padded by lo on both sides.
		d.oh = (d.h-1)*d.dil[0] + 1 + 2*d.lo[0] - d.kh + 1
		d.ow = (d.w-1)*d.dil[1] + 1 + 2*d.lo[1] - d.kw + 1
		t.Run(fmt.Sprintf("%+v", d), func(t *testing.T) {
			x := make([]float32, d.n*d.h*d.w*d.c)
			k := make([]float32, d.kh*d.kw*d.c)
			for i := range x {
				x[i] = float32(math.Sin(float64(i) * 0.7))
			}
			for i := range k {
				k[i] = float32(math.Cos(float64(i) * 1.3))
			}
			got := make([]float32, d.n*d.oh*d.ow*d.c)
			want := make([]float32, len(got))
			for i := range got {
				got[i] = float32(math.NaN()) // every element must be written
			}
			d.forwardDilatedColumns(nil, x, k, got)
			xoffs, koffs := make([]int, d.kh*d.kw), make([]int, d.kh*d.kw)
			for b := range d.n {
				for i := range d.oh {
					for j := range d.ow {
						nt := d.taps(b, i, j, xoffs, koffs)
						depthwisePixel(want[((b*d.oh+i)*d.ow+j)*d.c:][:d.c], x, k, xoffs[:nt], koffs[:nt])
					}
				}
			}
			for i := range want {
				if !(math.Abs(float64(got[i]-want[i])) <= 1e-5*(1+math.Abs(float64(want[i])))) {
					t.Fatalf("element %d: got %g, want %g", i, got[i], want[i])
				}
			}
		})
	}
}
