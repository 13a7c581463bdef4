package tfjs

import (
	"fmt"
	"math"
)

// Host evaluation of the operations that shape arithmetic uses, so that values a graph needs while
// it is built (a Reshape's shape, a resize's size, a slice's bounds) are known numbers.

// maxHostElements bounds the tensors evaluated on the host (shape arithmetic is small).
const maxHostElements = 1 << 22

// newTensor returns a zero tensor of the given type and shape.
func newTensor(dt DType, shape []int) (*Tensor, error) {
	n, err := numElements(shape)
	if err != nil {
		return nil, err
	}
	if n > maxHostElements {
		return nil, fmt.Errorf("a %v tensor computed while building the graph: more than %d elements", shape, maxHostElements)
	}
	return &Tensor{DType: dt, Shape: append([]int{}, shape...), Values: make([]float64, n)}, nil
}

// hostInts returns a host value as ints (a scalar or a vector of int32 range).
func hostInts(v value, what string) ([]int, error) {
	if v.h == nil {
		return nil, fmt.Errorf("%s must be known when the graph is built, it depends on the input's values", what)
	}
	if len(v.h.Shape) > 1 {
		return nil, fmt.Errorf("%s has shape %v, want a scalar or a vector", what, v.h.Shape)
	}
	out := make([]int, len(v.h.Values))
	for i, x := range v.h.Values {
		if math.IsNaN(x) || math.Abs(x) > math.MaxInt32 {
			return nil, fmt.Errorf("%s: value %v out of range", what, x)
		}
		out[i] = int(x)
	}
	return out, nil
}

// hostInt returns a host scalar (or one-element vector) as an int.
func hostInt(v value, what string) (int, error) {
	s, err := hostInts(v, what)
	if err != nil {
		return 0, err
	}
	if len(s) != 1 {
		return 0, fmt.Errorf("%s has %d values, want one", what, len(s))
	}
	return s[0], nil
}

// round stores x as a value of type dt: float32 rounding, int32 wrap-around, bool 0/1.
func round(dt DType, x float64) float64 {
	switch dt {
	case Int32:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0
		}
		return float64(int32(int64(x)))
	case Bool:
		if x != 0 {
			return 1
		}
		return 0
	}
	return float64(float32(x))
}

// strides returns the row-major strides of shape.
func strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// broadcastShapes returns the NumPy broadcast of shapes a and b.
func broadcastShapes(a, b []int) ([]int, error) {
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := range r {
		da, db := 1, 1
		if j := i - (r - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (r - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// broadcastIndex maps flat index i of shape out to the flat index of t, broadcast to out.
func broadcastIndex(t *Tensor, out, outStrides []int) func(i int) int {
	ts := strides(t.Shape)
	off := len(out) - len(t.Shape)
	return func(i int) int {
		j := 0
		for a := off; a < len(out); a++ {
			c := i / outStrides[a] % out[a]
			if t.Shape[a-off] != 1 {
				j += c * ts[a-off]
			}
		}
		return j
	}
}

// hostBinary applies f element-wise to broadcast a and b, giving a tensor of type dt.
func hostBinary(a, b *Tensor, dt DType, f func(x, y float64) (float64, error)) (*Tensor, error) {
	shape, err := broadcastShapes(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	out, err := newTensor(dt, shape)
	if err != nil {
		return nil, err
	}
	st := strides(shape)
	ia, ib := broadcastIndex(a, shape, st), broadcastIndex(b, shape, st)
	for i := range out.Values {
		v, err := f(a.Values[ia(i)], b.Values[ib(i)])
		if err != nil {
			return nil, err
		}
		out.Values[i] = round(dt, v)
	}
	return out, nil
}

// gatherHost returns the tensor of type and shape like src's with out[i] = src[index(i)].
func gatherHost(src *Tensor, shape []int, index func(outIdx []int) int) (*Tensor, error) {
	out, err := newTensor(src.DType, shape)
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(shape))
	for i := range out.Values {
		out.Values[i] = src.Values[index(idx)]
		for a := len(idx) - 1; a >= 0; a-- {
			if idx[a]++; idx[a] < shape[a] {
				break
			}
			idx[a] = 0
		}
	}
	return out, nil
}

// reshaped returns t with a new shape of the same size.
func reshaped(t *Tensor, shape []int) (*Tensor, error) {
	n, err := numElements(shape)
	if err != nil {
		return nil, err
	}
	if n != len(t.Values) {
		return nil, fmt.Errorf("cannot reshape %v to %v", t.Shape, shape)
	}
	return &Tensor{DType: t.DType, Shape: append([]int{}, shape...), Values: t.Values}, nil
}

// hostConcat concatenates host tensors along axis.
func hostConcat(ts []*Tensor, axis int) (*Tensor, error) {
	shape := append([]int{}, ts[0].Shape...)
	if axis < 0 || axis >= len(shape) {
		return nil, fmt.Errorf("axis %d for rank %d", axis, len(shape))
	}
	shape[axis] = 0
	for _, t := range ts {
		if len(t.Shape) != len(shape) || t.DType != ts[0].DType {
			return nil, fmt.Errorf("cannot concatenate %v and %v", ts[0].Shape, t.Shape)
		}
		for a := range shape {
			if a != axis && t.Shape[a] != ts[0].Shape[a] {
				return nil, fmt.Errorf("cannot concatenate %v and %v", ts[0].Shape, t.Shape)
			}
		}
		shape[axis] += t.Shape[axis]
	}
	out, err := newTensor(ts[0].DType, shape)
	if err != nil {
		return nil, err
	}
	outer := 1
	for a := 0; a < axis; a++ {
		outer *= shape[a]
	}
	pos := 0
	for o := range outer {
		for _, t := range ts {
			run := len(t.Values) / max(outer, 1)
			pos += copy(out.Values[pos:], t.Values[o*run:(o+1)*run])
		}
	}
	return out, nil
}
