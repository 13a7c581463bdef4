package ops

import (
	"fmt"
	"math"
	"testing"
)

// TestDepthwiseRowDot compares the filter gradient's row kernel (depthwiseRowDot, four accumulators
// per vector of channels) with a scalar sum, for channel counts around the SIMD width, counts that
// are and are not multiples of four, and strides 1 and 2.
func TestDepthwiseRowDot(t *testing.T) {
	for _, c := range []int{3, 8, 16, 19, 32, 40, 64, 70} {
		for _, count := range []int{1, 3, 4, 7, 16} {
			for _, step := range []int{1, 2} {
				t.Run(fmt.Sprintf("c%d/count%d/step%d", c, count, step), func(t *testing.T) {
					q0 := 1
					x := make([]float32, (q0+count*step+1)*c)
					v := make([]float32, count*c)
					for i := range x {
						x[i] = float32(math.Sin(float64(i) * 0.3))
					}
					for i := range v {
						v[i] = float32(math.Cos(float64(i) * 0.7))
					}
					acc := make([]float32, c)
					for i := range acc {
						acc[i] = float32(i) // accumulated into
					}
					depthwiseRowDot(acc, x, v, q0, step, count, c)
					for ch := range c {
						want := float64(ch)
						for j := range count {
							want += float64(x[(q0+j*step)*c+ch]) * float64(v[j*c+ch])
						}
						if math.Abs(float64(acc[ch])-want) > 1e-5*(1+math.Abs(want)) {
							t.Fatalf("channel %d: got %g, want %g", ch, acc[ch], want)
						}
					}
				})
			}
		}
	}
}
