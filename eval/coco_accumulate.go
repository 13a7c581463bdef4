package eval

import (
	"cmp"
	"context"
	"slices"
	"sort"
)

// COCOAccumulation holds pycocotools' accumulated precision and recall (eval['precision'] and
// eval['recall'] for the single maxDets value): -1 marks a category and area range without any
// non-ignored ground truth.
type COCOAccumulation struct {
	// T, R, K and A are the numbers of OKS thresholds, recall thresholds, categories and area
	// ranges.
	T, R, K, A int
	// CategoryIDs are the evaluated categories in index order (sorted ids).
	CategoryIDs []int
	// Precision is indexed [t][r][k][a], flattened row-major.
	Precision []float64
	// Recall is indexed [t][k][a], flattened row-major.
	Recall []float64
}

// PrecisionAt returns the interpolated precision at OKS threshold t, recall threshold r,
// category k and area range a (indices).
func (acc *COCOAccumulation) PrecisionAt(t, r, k, a int) float64 {
	return acc.Precision[((t*acc.R+r)*acc.K+k)*acc.A+a]
}

// RecallAt returns the recall at OKS threshold t, category k and area range a (indices).
func (acc *COCOAccumulation) RecallAt(t, k, a int) float64 {
	return acc.Recall[(t*acc.K+k)*acc.A+a]
}

// cocoAccumulate runs pycocotools' accumulate over evaluated cells (sorted by category, then
// image id). For each category and area range it pools the detections of all images in
// image-id order, sorts them by score (stable), and computes the precision/recall curve.
func cocoAccumulate(ctx context.Context, idx *cocoIndex, p COCOParams) (*COCOAccumulation, error) {
	T, R, K, A := len(p.OKSThresholds), len(p.RecallThresholds), len(idx.catIDs), len(p.AreaRanges)
	acc := &COCOAccumulation{
		T: T, R: R, K: K, A: A,
		CategoryIDs: append([]int(nil), idx.catIDs...),
		Precision:   make([]float64, T*R*K*A),
		Recall:      make([]float64, T*K*A),
	}
	for i := range acc.Precision {
		acc.Precision[i] = -1
	}
	for i := range acc.Recall {
		acc.Recall[i] = -1
	}

	type det struct {
		score float64
		cell  *cocoCell
		i     int // index in cell.dts
	}
	var (
		dets   []det
		rc, pr []float64
	)
	start := 0
	for k := 0; k < K; k++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		end := start
		for end < len(idx.cells) && idx.cells[end].cat == k {
			end++
		}
		cells := idx.cells[start:end]
		start = end
		if len(cells) == 0 {
			continue // no image has ground truth or detections of this category: stays -1
		}
		dets = dets[:0]
		for _, c := range cells {
			for i := range c.dts {
				dets = append(dets, det{c.dts[i].score, c, i})
			}
		}
		slices.SortStableFunc(dets, func(a, b det) int { return cmp.Compare(b.score, a.score) })
		nd := len(dets)
		rc, pr = cocoGrow(rc, nd), cocoGrow(pr, nd)

		for a := 0; a < A; a++ {
			npig := 0
			for _, c := range cells {
				for _, ig := range c.evals[a].gtIgnore {
					if !ig {
						npig++
					}
				}
			}
			if npig == 0 {
				continue
			}
			for t := 0; t < T; t++ {
				tp, fp := 0, 0
				for i, dd := range dets {
					ev := &dd.cell.evals[a]
					j := t*len(dd.cell.dts) + dd.i
					if !ev.dtIgnore[j] {
						if ev.dtMatch[j] != 0 {
							tp++
						} else {
							fp++
						}
					}
					tpf, fpf := float64(tp), float64(fp)
					rc[i] = tpf / float64(npig)
					pr[i] = tpf / (fpf + tpf + cocoEps)
				}
				recall := 0.0
				if nd > 0 {
					recall = rc[nd-1]
				}
				acc.Recall[(t*K+k)*A+a] = recall
				for i := nd - 1; i > 0; i-- {
					if pr[i] > pr[i-1] {
						pr[i-1] = pr[i]
					}
				}
				// numpy.searchsorted(rc, thr, side="left") gives the first i with rc[i] >= thr;
				// pycocotools stops at the first threshold past the curve's end and leaves the
				// remaining precisions 0.
				past := false
				for r, thr := range p.RecallThresholds {
					q := 0.0
					if !past {
						if pi := sort.SearchFloat64s(rc[:nd], thr); pi < nd {
							q = pr[pi]
						} else {
							past = true
						}
					}
					acc.Precision[((t*R+r)*K+k)*A+a] = q
				}
			}
		}
	}
	return acc, nil
}

// cocoGrow returns s resliced (or reallocated) to length n.
func cocoGrow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
