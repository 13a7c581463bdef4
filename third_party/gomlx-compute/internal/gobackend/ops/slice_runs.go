package ops

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/dtypes/float16"
	"github.com/gomlx/compute/internal/gobackend"
)

// Slice by contiguous runs (posedistill's fork; see FORK.md, "Training steps"). The generic Slice
// executor copies element by element, stepping a multi-axis index for each one. A slice with stride
// 1 on its last axes copies runs that are contiguous in both the operand and the output: the trailing
// axes it takes whole, times the extent of the first axis it cuts. This executor copies those runs
// with copy (a memmove): a crop of an NHWC tensor copies a run of W·C or C values at a time.
// Slices whose runs would be single elements fall back to the generic executor.

func init() {
	gobackend.SetNodeExecutor(compute.OpTypeSlice, gobackend.PriorityArch, execSliceRuns)
}

// sliceRun returns the length of the contiguous runs of a slice and the number of leading axes
// (outer) over which the runs are iterated.
func sliceRun(inDims, outDims, strides []int) (run, outer int) {
	run = 1
	a := len(inDims) - 1
	for a >= 0 && strides[a] == 1 && outDims[a] == inDims[a] {
		run *= outDims[a]
		a--
	}
	if a >= 0 && strides[a] == 1 {
		run *= outDims[a]
		a--
	}
	return run, a + 1
}

func execSliceRuns(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, _ []bool) (*gobackend.Buffer, error) {
	operand := inputs[0]
	params, ok := node.Data.(*sliceNode)
	if !ok || operand.RawShape.IsDynamic() || node.Shape.IsDynamic() {
		return nil, gobackend.ErrFallback
	}
	run, outer := sliceRun(operand.RawShape.Dimensions, node.Shape.Dimensions, params.strides)
	if run < 2 {
		return nil, gobackend.ErrFallback
	}
	output, err := backend.GetBuffer(node.Shape)
	if err != nil {
		return nil, err
	}
	if backend.NoOps || output.RawShape.Size() == 0 {
		return output, nil
	}
	in, out := operand.RawShape.Dimensions, node.Shape.Dimensions
	switch flat := operand.Flat.(type) {
	case []float32:
		sliceRuns(flat, output.Flat.([]float32), in, out, params, run, outer)
	case []float64:
		sliceRuns(flat, output.Flat.([]float64), in, out, params, run, outer)
	case []int32:
		sliceRuns(flat, output.Flat.([]int32), in, out, params, run, outer)
	case []int64:
		sliceRuns(flat, output.Flat.([]int64), in, out, params, run, outer)
	case []uint8:
		sliceRuns(flat, output.Flat.([]uint8), in, out, params, run, outer)
	case []bool:
		sliceRuns(flat, output.Flat.([]bool), in, out, params, run, outer)
	case []float16.Float16:
		sliceRuns(flat, output.Flat.([]float16.Float16), in, out, params, run, outer)
	case []bfloat16.BFloat16:
		sliceRuns(flat, output.Flat.([]bfloat16.BFloat16), in, out, params, run, outer)
	default:
		backend.PutBuffer(output)
		return nil, gobackend.ErrFallback
	}
	return output, nil
}

// sliceRuns copies the runs of run elements of a slice, iterating the output index over its first
// outer axes.
func sliceRuns[T any](src, dst []T, inDims, outDims []int, params *sliceNode, run, outer int) {
	rank := len(inDims)
	inStrides := make([]int, rank)
	s := 1
	for a := rank - 1; a >= 0; a-- {
		inStrides[a] = s
		s *= inDims[a]
	}
	offset := 0
	for a, start := range params.starts {
		offset += start * inStrides[a]
	}
	idx := make([]int, outer)
	for o := 0; o < len(dst); o += run {
		copy(dst[o:o+run], src[offset:offset+run])
		for a := outer - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < outDims[a] {
				offset += params.strides[a] * inStrides[a]
				break
			}
			offset -= (outDims[a] - 1) * params.strides[a] * inStrides[a]
			idx[a] = 0
		}
	}
}
