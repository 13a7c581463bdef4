package eval

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/posedistill/posedistill/dataset"
)

// cocoGT is one ground-truth annotation as the evaluation sees it.
type cocoGT struct {
	id      int64
	area    float64
	crowd   bool
	ignore  bool // iscrowd or num_keypoints == 0 (pycocotools' "ignore" for keypoints)
	bbox    [4]float64
	kps     []float64 // x, y, v per keypoint; nil when the annotation carries no keypoints
	labeled int       // number of keypoints with v > 0
}

// cocoDT is one detection (result) as the evaluation sees it.
type cocoDT struct {
	id    int64 // 1-based position in the results list, as pycocotools' loadRes assigns it
	score float64
	area  float64 // keypoint extent, as loadRes computes it
	kps   []float64
}

// cocoCell holds the ground truth and detections of one (image, category) pair that has at least
// one of either, and the evaluation results once computed.
type cocoCell struct {
	img, cat int      // indices into the sorted image and category ids
	gts      []cocoGT // in ground-truth file order
	dts      []cocoDT // by score, highest first (stable), at most MaxDets
	oks      []float64
	evals    []cocoCellEval // one per area range
}

// cocoIndex is the prepared input of an evaluation (pycocotools' _prepare and loadRes).
type cocoIndex struct {
	imgIDs  []int64 // sorted, unique
	catIDs  []int   // sorted, unique
	cells   []*cocoCell
	dropped int // results whose category is not among the ground truth's categories
	numGT   int // ground-truth annotations evaluated
	numDT   int // results evaluated (after category filtering, before MaxDets)
}

type cocoCellKey struct {
	cat, img int
}

// newCOCOIndex validates gt and results and groups them per image and category the way
// pycocotools does: ground truth of images not listed in gt.Images or of unknown categories is
// dropped, results of unknown categories are dropped (counted), results naming an image not in
// gt.Images are an error (pycocotools asserts).
func newCOCOIndex(gt *dataset.Dataset, results []dataset.Result, p COCOParams) (*cocoIndex, error) {
	if gt == nil {
		return nil, errors.New("no ground truth")
	}
	k := p.numKeypoints()
	idx := &cocoIndex{}

	imgPos := make(map[int64]int, len(gt.Images))
	for _, im := range gt.Images {
		imgPos[im.ID] = 0
	}
	idx.imgIDs = make([]int64, 0, len(imgPos))
	for id := range imgPos {
		idx.imgIDs = append(idx.imgIDs, id)
	}
	slices.Sort(idx.imgIDs)
	for i, id := range idx.imgIDs {
		imgPos[id] = i
	}

	catPos := make(map[int]int, len(gt.Categories))
	for _, c := range gt.Categories {
		catPos[c.ID] = 0
	}
	idx.catIDs = make([]int, 0, len(catPos))
	for id := range catPos {
		idx.catIDs = append(idx.catIDs, id)
	}
	slices.Sort(idx.catIDs)
	for i, id := range idx.catIDs {
		catPos[id] = i
	}

	cells := make(map[cocoCellKey]*cocoCell)
	cell := func(cat, img int) *cocoCell {
		key := cocoCellKey{cat, img}
		c := cells[key]
		if c == nil {
			c = &cocoCell{img: img, cat: cat}
			cells[key] = c
		}
		return c
	}

	annIDs := make(map[int64]int, len(gt.Annotations))
	for i := range gt.Annotations {
		a := &gt.Annotations[i]
		if j, dup := annIDs[a.ID]; dup {
			return nil, fmt.Errorf("annotations %d and %d share id %d (annotation ids must be unique)", j, i, a.ID)
		}
		annIDs[a.ID] = i
		img, okImg := imgPos[a.ImageID]
		cat, okCat := catPos[a.CategoryID]
		if !okImg || !okCat {
			continue // pycocotools never loads it
		}
		g, err := cocoNewGT(a, k)
		if err != nil {
			return nil, fmt.Errorf("annotation %d (id %d, image_id %d): %w", i, a.ID, a.ImageID, err)
		}
		c := cell(cat, img)
		c.gts = append(c.gts, g)
		idx.numGT++
	}

	for i := range results {
		r := &results[i]
		if err := cocoCheckResult(r, k); err != nil {
			return nil, fmt.Errorf("result %d (image_id %d): %w", i, r.ImageID, err)
		}
		img, ok := imgPos[r.ImageID]
		if !ok {
			return nil, fmt.Errorf("result %d: image_id %d is not in the ground truth's images", i, r.ImageID)
		}
		cat, ok := catPos[r.CategoryID]
		if !ok {
			idx.dropped++
			continue
		}
		c := cell(cat, img)
		c.dts = append(c.dts, cocoDT{
			id:    int64(i) + 1,
			score: r.Score,
			area:  cocoKeypointExtent(r.Keypoints),
			kps:   r.Keypoints,
		})
		idx.numDT++
	}

	idx.cells = make([]*cocoCell, 0, len(cells))
	for _, c := range cells {
		// Highest score first; a stable sort keeps results-file order among equal scores, as
		// numpy's mergesort does.
		slices.SortStableFunc(c.dts, func(a, b cocoDT) int { return cmp.Compare(b.score, a.score) })
		if len(c.dts) > p.MaxDets {
			c.dts = c.dts[:p.MaxDets]
		}
		idx.cells = append(idx.cells, c)
	}
	sort.Slice(idx.cells, func(a, b int) bool {
		ca, cb := idx.cells[a], idx.cells[b]
		if ca.cat != cb.cat {
			return ca.cat < cb.cat
		}
		return ca.img < cb.img
	})
	return idx, nil
}

// cocoNewGT converts and checks one ground-truth annotation for K keypoints.
func cocoNewGT(a *dataset.Annotation, k int) (cocoGT, error) {
	if n := len(a.Keypoints); n != 0 && n != 3*k {
		return cocoGT{}, fmt.Errorf("%d keypoint values, want %d (3 × %d keypoints)", n, 3*k, k)
	}
	if !cocoFinite(a.Area) || a.Area < 0 {
		return cocoGT{}, fmt.Errorf("area is %v", a.Area)
	}
	for _, v := range a.BBox {
		if !cocoFinite(v) {
			return cocoGT{}, fmt.Errorf("bbox %v is not finite", a.BBox)
		}
	}
	g := cocoGT{
		id:     a.ID,
		area:   a.Area,
		crowd:  a.IsCrowd != 0,
		ignore: a.IsCrowd != 0 || a.NumKeypoints == 0,
		bbox:   a.BBox,
	}
	if len(a.Keypoints) > 0 {
		g.kps = a.Keypoints
		for j := 0; j < k; j++ {
			x, y, v := a.Keypoints[3*j], a.Keypoints[3*j+1], a.Keypoints[3*j+2]
			if !cocoFinite(x) || !cocoFinite(y) || !cocoFinite(v) {
				return cocoGT{}, fmt.Errorf("keypoint %d is (%v, %v, %v), not finite", j, x, y, v)
			}
			if v > 0 {
				g.labeled++
			}
		}
	}
	return g, nil
}

// cocoCheckResult checks one result for K keypoints: 3·K finite values and a finite score.
func cocoCheckResult(r *dataset.Result, k int) error {
	if len(r.Keypoints) != 3*k {
		return fmt.Errorf("%d keypoint values, want %d (3 × %d keypoints)", len(r.Keypoints), 3*k, k)
	}
	if !cocoFinite(r.Score) {
		return fmt.Errorf("score is %v", r.Score)
	}
	for j := 0; j < k; j++ {
		x, y := r.Keypoints[3*j], r.Keypoints[3*j+1]
		if !cocoFinite(x) || !cocoFinite(y) {
			return fmt.Errorf("keypoint %d is (%v, %v), not finite", j, x, y)
		}
	}
	return nil
}

// cocoKeypointExtent is the area loadRes gives a keypoint result: (max x - min x)·(max y - min y)
// over all keypoints, (0, 0) placeholders included.
func cocoKeypointExtent(kps []float64) float64 {
	if len(kps) < 3 {
		return 0
	}
	x0, x1, y0, y1 := kps[0], kps[0], kps[1], kps[1]
	for j := 3; j+1 < len(kps); j += 3 {
		x0, x1 = min(x0, kps[j]), max(x1, kps[j])
		y0, y1 = min(y0, kps[j+1]), max(y1, kps[j+1])
	}
	return (x1 - x0) * (y1 - y0)
}

func cocoFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
