package eval

import (
	"slices"
	"sort"
)

// COCOOKS is the OKS matrix of one image and category, as pycocotools' COCOeval.ious holds it.
type COCOOKS struct {
	// DetectionIDs name the rows: detections by score, highest first, at most MaxDets.
	DetectionIDs []int64
	// GroundTruthIDs name the columns, in ground-truth file order.
	GroundTruthIDs []int64
	// Values[i][j] is the OKS of detection i with ground truth j; nil when the image has no
	// detection or no ground truth of the category.
	Values [][]float64
}

// OKS returns the OKS matrix of an image and category after Evaluate (the zero value if the pair
// has neither ground truth nor detections).
func (e *COCOEvaluator) OKS(imageID int64, categoryID int) COCOOKS {
	c := e.findCell(imageID, categoryID)
	if c == nil {
		return COCOOKS{}
	}
	out := COCOOKS{
		DetectionIDs:   make([]int64, len(c.dts)),
		GroundTruthIDs: make([]int64, len(c.gts)),
	}
	for i := range c.dts {
		out.DetectionIDs[i] = c.dts[i].id
	}
	for j := range c.gts {
		out.GroundTruthIDs[j] = c.gts[j].id
	}
	if c.oks != nil {
		g := len(c.gts)
		exact := newCOCOOKSComputer(e.params.Sigmas)
		out.Values = make([][]float64, len(c.dts))
		for i := range out.Values {
			out.Values[i] = append([]float64(nil), c.oks[i*g:(i+1)*g]...)
			for j, v := range out.Values[i] {
				if v == cocoOKSSkipped {
					out.Values[i][j] = exact.oks(&c.gts[j], c.dts[i].kps)
				}
			}
		}
	}
	return out
}

func (e *COCOEvaluator) findCell(imageID int64, categoryID int) *cocoCell {
	img, okImg := slices.BinarySearch(e.idx.imgIDs, imageID)
	cat, okCat := slices.BinarySearch(e.idx.catIDs, categoryID)
	if !okImg || !okCat {
		return nil
	}
	cells := e.idx.cells
	i := sort.Search(len(cells), func(i int) bool {
		return cells[i].cat > cat || (cells[i].cat == cat && cells[i].img >= img)
	})
	if i < len(cells) && cells[i].cat == cat && cells[i].img == img {
		return cells[i]
	}
	return nil
}

// COCOImageEval is the matching of one image, category and area range: pycocotools' evalImgs
// entry. Arrays indexed [t] follow the OKS thresholds.
type COCOImageEval struct {
	// ImageID and CategoryID name the image and category.
	ImageID    int64
	CategoryID int
	// AreaRange is the object-size range of this matching.
	AreaRange COCOAreaRange
	// MaxDets is the per-image detection limit.
	MaxDets int
	// DetectionIDs are the evaluated detections, highest score first.
	DetectionIDs []int64
	// GroundTruthIDs are the ground truth, non-ignored first.
	GroundTruthIDs []int64
	// DetectionMatches[t][d] is the id of the ground truth matched to detection d, 0 if none.
	DetectionMatches [][]int64
	// GroundTruthMatches[t][g] is the id of the detection matched to ground truth g, 0 if none.
	GroundTruthMatches [][]int64
	// DetectionScores are the detections' scores.
	DetectionScores []float64
	// GroundTruthIgnore tells which ground truth is ignored in this area range.
	GroundTruthIgnore []bool
	// DetectionIgnore[t][d] tells whether detection d is ignored at threshold t.
	DetectionIgnore [][]bool
}

// ImageEvals returns the per-image matchings after Evaluate, in pycocotools' order (category,
// area range, sorted image id), skipping images with neither ground truth nor detections.
func (e *COCOEvaluator) ImageEvals() []COCOImageEval {
	var out []COCOImageEval
	if !e.evaluated {
		return nil
	}
	T := len(e.params.OKSThresholds)
	cells := e.idx.cells
	for start := 0; start < len(cells); {
		end := start
		for end < len(cells) && cells[end].cat == cells[start].cat {
			end++
		}
		for a, rng := range e.params.AreaRanges {
			for _, c := range cells[start:end] {
				ev := &c.evals[a]
				d, g := len(c.dts), len(c.gts)
				ie := COCOImageEval{
					ImageID:            e.idx.imgIDs[c.img],
					CategoryID:         e.idx.catIDs[c.cat],
					AreaRange:          rng,
					MaxDets:            e.params.MaxDets,
					DetectionIDs:       make([]int64, d),
					GroundTruthIDs:     make([]int64, g),
					DetectionMatches:   make([][]int64, T),
					GroundTruthMatches: make([][]int64, T),
					DetectionScores:    make([]float64, d),
					GroundTruthIgnore:  append([]bool(nil), ev.gtIgnore...),
					DetectionIgnore:    make([][]bool, T),
				}
				for i := range c.dts {
					ie.DetectionIDs[i] = c.dts[i].id
					ie.DetectionScores[i] = c.dts[i].score
				}
				for m, j := range ev.gtOrder {
					ie.GroundTruthIDs[m] = c.gts[j].id
				}
				for t := 0; t < T; t++ {
					ie.DetectionMatches[t] = append([]int64(nil), ev.dtMatch[t*d:(t+1)*d]...)
					ie.GroundTruthMatches[t] = append([]int64(nil), ev.gtMatch[t*g:(t+1)*g]...)
					ie.DetectionIgnore[t] = append([]bool(nil), ev.dtIgnore[t*d:(t+1)*d]...)
				}
				out = append(out, ie)
			}
		}
		start = end
	}
	return out
}
