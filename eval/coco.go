package eval

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/posedistill/posedistill/dataset"
)

// COCOEvaluator evaluates keypoint results against COCO ground truth with the protocol of
// pycocotools' COCOeval(gt, dt, "keypoints"), number for number: Evaluate matches detections to
// ground truth per image, Accumulate builds the precision/recall arrays, and
// COCOAccumulation.Stats gives the ten summary numbers.
//
// Input handling follows pycocotools' COCO.loadRes and COCOeval._prepare: results get ids
// 1, 2, … in list order and an area from their keypoint extent; results of categories absent from
// the ground truth are dropped (counted in Dropped); ground truth of images absent from gt.Images
// is dropped. Where pycocotools would crash or silently misbehave, the evaluator returns an error
// naming the entry instead: a result for an unknown image id, a keypoint list of the wrong length,
// non-finite coordinates or scores, duplicate annotation ids, negative areas. An empty results
// list is valid and scores 0 wherever ground truth exists (pycocotools cannot load an empty
// results file). A result's area always comes from its keypoint extent (pycocotools would use a
// "bbox" field instead, had the first result one; dataset.Result carries none).
//
// The evaluator keeps references to the keypoint slices of gt and results: leave them unchanged
// until it is no longer used. A COCOEvaluator is not safe for concurrent use (Evaluate itself
// works on several goroutines).
type COCOEvaluator struct {
	params    COCOParams
	idx       *cocoIndex
	evaluated bool
}

// NewCOCOEvaluator validates and indexes the ground truth and results for evaluation with p.
func NewCOCOEvaluator(gt *dataset.Dataset, results []dataset.Result, p COCOParams) (*COCOEvaluator, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	p = p.clone()
	idx, err := newCOCOIndex(gt, results, p)
	if err != nil {
		return nil, fmt.Errorf("coco eval: %w", err)
	}
	return &COCOEvaluator{params: p, idx: idx}, nil
}

// Params returns (a copy of) the evaluation parameters.
func (e *COCOEvaluator) Params() COCOParams { return e.params.clone() }

// Dropped returns the number of results skipped because their category is not among the ground
// truth's categories.
func (e *COCOEvaluator) Dropped() int { return e.idx.dropped }

// Evaluate computes the OKS matrices and matches detections to ground truth in every image,
// category and area range, on up to GOMAXPROCS goroutines (images are independent, so the
// result does not depend on their number). It checks ctx between images.
func (e *COCOEvaluator) Evaluate(ctx context.Context) error {
	cells := e.idx.cells
	workers := min(runtime.GOMAXPROCS(0), max(1, len(cells)/64))
	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			oks := newCOCOOKSComputer(e.params.Sigmas)
			oks.skipBelow = cocoSkipBelow(e.params.OKSThresholds)
			for ctx.Err() == nil {
				// Claim 16 cells at a time.
				end := int(next.Add(16))
				start := end - 16
				if start >= len(cells) {
					return
				}
				for _, c := range cells[start:min(end, len(cells))] {
					oks.matrix(c)
					c.evals = make([]cocoCellEval, len(e.params.AreaRanges))
					for a, rng := range e.params.AreaRanges {
						c.evals[a] = cocoMatch(c, rng, e.params.OKSThresholds)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	e.evaluated = true
	return nil
}

var errCOCONotEvaluated = errors.New("coco eval: Evaluate has not run")

// Accumulate computes precision and recall per OKS threshold, recall threshold, category and
// area range from the matches of Evaluate.
func (e *COCOEvaluator) Accumulate(ctx context.Context) (*COCOAccumulation, error) {
	if !e.evaluated {
		return nil, errCOCONotEvaluated
	}
	return cocoAccumulate(ctx, e.idx, e.params)
}

// KeypointErrors returns the per-keypoint localization diagnostics (see COCOKeypointError), in
// keypoint order, and the number of matched pairs they summarize.
func (e *COCOEvaluator) KeypointErrors() ([]COCOKeypointError, int, error) {
	if !e.evaluated {
		return nil, 0, errCOCONotEvaluated
	}
	rows, pairs := cocoKeypointErrors(e.idx, e.params)
	return rows, pairs, nil
}

// COCOReport is the outcome of EvaluateCOCO.
type COCOReport struct {
	// Stats are the ten summary numbers.
	Stats COCOStats
	// Keypoints are the per-keypoint diagnostics at OKS 0.5.
	Keypoints []COCOKeypointError
	// MatchedPairs is the number of detection / ground-truth pairs behind Keypoints.
	MatchedPairs int
	// Accumulation holds the full precision and recall arrays.
	Accumulation *COCOAccumulation
	// Images, GroundTruth and Results count the evaluated images, ground-truth annotations and
	// results (after dropping results of unknown categories, before the per-image MaxDets cut).
	Images, GroundTruth, Results int
	// Dropped counts results skipped because their category is not in the ground truth.
	Dropped int
}

// EvaluateCOCO evaluates keypoint results against ground truth with pycocotools' protocol and
// returns the ten summary numbers with per-keypoint diagnostics. It is the entry point for
// validation during training; see COCOEvaluator for input handling.
func EvaluateCOCO(ctx context.Context, gt *dataset.Dataset, results []dataset.Result, p COCOParams) (*COCOReport, error) {
	e, err := NewCOCOEvaluator(gt, results, p)
	if err != nil {
		return nil, err
	}
	if err := e.Evaluate(ctx); err != nil {
		return nil, err
	}
	acc, err := e.Accumulate(ctx)
	if err != nil {
		return nil, err
	}
	kps, pairs, err := e.KeypointErrors()
	if err != nil {
		return nil, err
	}
	return &COCOReport{
		Stats:        acc.Stats(p),
		Keypoints:    kps,
		MatchedPairs: pairs,
		Accumulation: acc,
		Images:       len(e.idx.imgIDs),
		GroundTruth:  e.idx.numGT,
		Results:      e.idx.numDT,
		Dropped:      e.idx.dropped,
	}, nil
}
