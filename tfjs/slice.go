package tfjs

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// axisSlice is the range StridedSlice takes along one input axis.
type axisSlice struct {
	start, step, count int
}

// stridedSlice resolves StridedSlice's begin, end, strides and masks against an input shape: the
// range taken along every input axis and the output shape (with new axes, without shrunk ones).
func stridedSlice(n *Node, shape, begin, end, step []int) ([]axisSlice, []int, error) {
	if len(begin) != len(end) || len(begin) != len(step) {
		return nil, nil, fmt.Errorf("begin %v, end %v and strides %v differ in length", begin, end, step)
	}
	bit := func(name string, i int) bool { return n.attrInt(name, 0)>>uint(i)&1 == 1 }
	var axes []axisSlice
	var out []int
	in := 0
	full := func() {
		axes = append(axes, axisSlice{0, 1, shape[in]})
		out = append(out, shape[in])
		in++
	}
	for i := range begin {
		switch {
		case bit("ellipsis_mask", i):
			consumed := 0
			for j := i + 1; j < len(begin); j++ {
				if !bit("new_axis_mask", j) {
					consumed++
				}
			}
			for in < len(shape)-consumed {
				full()
			}
			continue
		case bit("new_axis_mask", i):
			out = append(out, 1)
			continue
		}
		if in >= len(shape) {
			return nil, nil, fmt.Errorf("slice spec longer than the input's rank %d", len(shape))
		}
		d, s := shape[in], step[i]
		if s == 0 {
			return nil, nil, fmt.Errorf("stride 0")
		}
		norm := func(x int) int {
			if x < 0 {
				return x + d
			}
			return x
		}
		if bit("shrink_axis_mask", i) {
			b := norm(begin[i])
			if b < 0 || b >= d {
				return nil, nil, fmt.Errorf("index %d out of range for axis of size %d", begin[i], d)
			}
			axes = append(axes, axisSlice{b, 1, 1})
			in++
			continue
		}
		var start, stop, count int
		if s > 0 {
			start, stop = 0, d
			if !bit("begin_mask", i) {
				start = min(max(norm(begin[i]), 0), d)
			}
			if !bit("end_mask", i) {
				stop = min(max(norm(end[i]), 0), d)
			}
			count = max(0, (stop-start+s-1)/s)
		} else {
			start, stop = d-1, -1
			if !bit("begin_mask", i) {
				start = min(max(norm(begin[i]), -1), d-1)
			}
			if !bit("end_mask", i) {
				stop = min(max(norm(end[i]), -1), d-1)
			}
			count = max(0, (start-stop-s-1)/(-s))
		}
		axes = append(axes, axisSlice{start, s, count})
		out = append(out, count)
		in++
	}
	for in < len(shape) {
		full()
	}
	return axes, out, nil
}

func opStridedSlice(b *builder, n *Node, in []value) ([]value, error) {
	var spec [3][]int
	for i, what := range []string{"begin", "end", "strides"} {
		var err error
		if spec[i], err = hostInts(in[i+1], what); err != nil {
			return nil, err
		}
	}
	shape := in[0].shape()
	axes, out, err := stridedSlice(n, shape, spec[0], spec[1], spec[2])
	if err != nil {
		return nil, err
	}
	sliced := make([]int, len(axes))
	for a, s := range axes {
		sliced[a] = s.count
		if s.count == 0 {
			return nil, fmt.Errorf("empty slice of shape %v: %w", shape, ErrUnsupported)
		}
	}
	if x := in[0].h; x != nil {
		st := strides(shape)
		t, err := gatherHost(x, sliced, func(idx []int) int {
			j := 0
			for a, c := range idx {
				j += (axes[a].start + c*axes[a].step) * st[a]
			}
			return j
		})
		if err != nil {
			return nil, err
		}
		if t, err = reshaped(t, out); err != nil {
			return nil, err
		}
		return one(value{h: t}), nil
	}
	specs := make([]graph.SliceAxisSpec, len(axes))
	for a, s := range axes {
		if s.step < 0 {
			return nil, fmt.Errorf("negative strides: %w", ErrUnsupported)
		}
		specs[a] = graph.AxisRange(s.start, s.start+(s.count-1)*s.step+1).Stride(s.step)
	}
	return one(value{n: graph.Reshape(graph.Slice(in[0].n, specs...), out...)}), nil
}
