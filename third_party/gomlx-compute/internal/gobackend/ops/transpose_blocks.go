package ops

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/internal/gobackend"
)

// Transposes that swap blocks of axes (posedistill's fork; see FORK.md, "Training steps").
//
// A permutation that keeps runs of consecutive axes together is, once each run is merged into one
// axis, a permutation of fewer axes: [N, H, W, C] → [C, N, H, W] (perm 3, 0, 1, 2) is the 2-D
// transpose of an [N·H·W, C] matrix, and [B, M, K, L] → [B, L, M, K] a batch of 2-D transposes.
// The generic executor walks such transposes element by element with a multi-axis iterator (only
// rank 2, a trailing axis kept, and two attention layouts have fast paths); this executor runs the
// merged 2-D forms through the tiled 2-D kernel. Anything else falls back to the generic executor.

func init() {
	gobackend.SetNodeExecutor(compute.OpTypeTranspose, gobackend.PriorityArch, execTransposeBlocks)
}

// mergeTransposeAxes merges the runs of axes that stay consecutive under perm and drops axes of
// dimension 1: it returns the merged operand dimensions and the permutation of the merged axes.
func mergeTransposeAxes(dims, perm []int) (mergedDims, mergedPerm []int) {
	// Drop axes of size 1.
	keep := make([]int, 0, len(dims)) // kept operand axes
	newIndex := make([]int, len(dims))
	for a, d := range dims {
		newIndex[a] = -1
		if d != 1 {
			newIndex[a] = len(keep)
			keep = append(keep, a)
		}
	}
	p := make([]int, 0, len(keep))
	for _, a := range perm {
		if newIndex[a] >= 0 {
			p = append(p, newIndex[a])
		}
	}
	// Runs: output positions i, i+1 with p[i+1] == p[i]+1 are one merged axis.
	runOf := make([]int, len(keep)) // operand axis (kept) -> run start in the operand, for order
	var runs [][]int                // runs in output order, each a list of kept operand axes
	for i := 0; i < len(p); {
		j := i + 1
		for j < len(p) && p[j] == p[j-1]+1 {
			j++
		}
		runs = append(runs, p[i:j])
		i = j
	}
	// Order of runs in the operand: by their first axis.
	order := make([]int, len(runs)) // order[r] = rank of run r in the operand
	for r, run := range runs {
		for _, a := range run {
			runOf[a] = r
		}
	}
	mergedDims = make([]int, 0, len(runs))
	opRun := make([]int, 0, len(runs)) // runs in operand order
	for a := 0; a < len(keep); {
		r := runOf[a]
		order[r] = len(opRun)
		opRun = append(opRun, r)
		size := 1
		for _, b := range runs[r] {
			size *= dims[keep[b]]
		}
		mergedDims = append(mergedDims, size)
		a += len(runs[r])
	}
	mergedPerm = make([]int, len(runs))
	for i := range runs {
		mergedPerm[i] = order[i]
	}
	return mergedDims, mergedPerm
}

// execTransposeBlocks runs a Transpose that is a (batched) 2-D transpose of merged axes.
func execTransposeBlocks(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, _ []bool) (*gobackend.Buffer, error) {
	operand := inputs[0]
	perm := node.Data.([]int)
	dims, p := mergeTransposeAxes(operand.RawShape.Dimensions, perm)
	isSwap := len(p) == 2 && p[0] == 1
	isBatchedSwap := len(p) == 3 && p[0] == 0 && p[1] == 2 && p[2] == 1
	if !isSwap && !isBatchedSwap || len(perm) == 2 {
		return nil, gobackend.ErrFallback // rank 2 already has its fast path
	}
	output, err := backend.GetBuffer(node.Shape)
	if err != nil {
		return nil, err
	}
	if backend.NoOps {
		return output, nil
	}
	batch, h, w := 1, dims[0], dims[1]
	if isBatchedSwap {
		batch, h, w = dims[0], dims[1], dims[2]
	}
	switch in := operand.Flat.(type) {
	case []float32:
		out := output.Flat.([]float32)
		for b, size := 0, h*w; b < batch; b++ { // 8×8 register blocks (transpose_8x8_amd64.go)
			transpose2DFloat32(backend, in[b*size:(b+1)*size], out[b*size:(b+1)*size], h, w)
		}
	case []float64:
		transposeBatched2D(backend, in, output.Flat.([]float64), batch, h, w)
	case []int32:
		transposeBatched2D(backend, in, output.Flat.([]int32), batch, h, w)
	case []int64:
		transposeBatched2D(backend, in, output.Flat.([]int64), batch, h, w)
	default:
		backend.PutBuffer(output)
		return nil, gobackend.ErrFallback
	}
	return output, nil
}

// transposeBatched2D transposes batch [h, w] matrices stored one after another.
func transposeBatched2D[T any](backend *gobackend.Backend, in, out []T, batch, h, w int) {
	size := h * w
	for b := range batch {
		transpose2D(backend, in[b*size:(b+1)*size], out[b*size:(b+1)*size], h, w)
	}
}
