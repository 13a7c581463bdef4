package tflite

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestDepthwiseLowerings checks that the crop taps, the padding-Pad taps, the strided-Slice taps
// and GoMLX's ConvGeneral agree on depthwise convolutions of every stride, dilation, padding and
// size parity (PyTorch checks a few of them against an independent implementation).
func TestDepthwiseLowerings(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := []struct {
		in, k []int
		pad   Padding
		s, d  int
	}{
		{[]int{1, 7, 7, 3}, []int{1, 3, 3, 3}, PaddingSame, 1, 1},
		{[]int{2, 6, 5, 4}, []int{1, 5, 5, 4}, PaddingSame, 1, 1},
		{[]int{1, 8, 8, 2}, []int{1, 3, 3, 2}, PaddingSame, 2, 1},
		{[]int{1, 9, 7, 5}, []int{1, 5, 5, 5}, PaddingSame, 2, 1},
		{[]int{1, 10, 11, 2}, []int{1, 3, 3, 2}, PaddingSame, 3, 1},
		{[]int{1, 9, 9, 2}, []int{1, 3, 3, 2}, PaddingValid, 1, 2},
		{[]int{1, 12, 9, 2}, []int{1, 3, 3, 2}, PaddingValid, 2, 2},
		{[]int{1, 3, 3, 17}, []int{1, 5, 5, 17}, PaddingSame, 2, 1}, // kernel larger than the input
	}
	for _, c := range cases {
		name := fmt.Sprintf("%v k%dx%d %s s%d d%d", c.in, c.k[1], c.k[2], c.pad, c.s, c.d)
		t.Run(name, func(t *testing.T) {
			oh, ow := (c.in[1]+c.s-1)/c.s, (c.in[2]+c.s-1)/c.s
			if c.pad == PaddingValid {
				eh, ew := (c.k[1]-1)*c.d+1, (c.k[2]-1)*c.d+1
				oh, ow = (c.in[1]-eh)/c.s+1, (c.in[2]-ew)/c.s+1
			}
			ts := []tspec{input(rng, c.in...), constF32(rng, c.k...), constF32(rng, c.k[3]), output(c.in[0], oh, ow, c.k[3])}
			ops := []mop{{code: OpDepthwiseConv, in: []int{0, 1, 2}, out: []int{3}, optType: optDepthwiseConv,
				opts: fbTable{0: fbU8(c.pad), 1: fbI32(c.s), 2: fbI32(c.s), 3: fbI32(1), 4: fbU8(ActNone), 5: fbI32(c.d), 6: fbI32(c.d)}}}
			want := runMiniWith(t, ts, ops, true, tapsByCrop)
			closeTo(t, runMiniWith(t, ts, ops, false, tapsByPad), want, 1e-5)
			closeTo(t, runMiniWith(t, ts, ops, false, tapsBySlice), want, 1e-5)
			closeTo(t, runMiniWith(t, ts, ops, false, tapsByCrop), want, 1e-5)
		})
	}
}
