package eval

import (
	"fmt"
	"strings"
)

// COCOStats are the ten numbers of pycocotools' keypoint summary (COCOeval.stats, in order).
// A value of -1 means no category had valid ground truth for that entry. JSON keys are the field
// names; encoding/json writes them at full precision.
type COCOStats struct {
	AP   float64 // AP at OKS 0.50:0.95, all areas
	AP50 float64 // AP at OKS 0.50
	AP75 float64 // AP at OKS 0.75
	APm  float64 // AP, medium persons
	APl  float64 // AP, large persons
	AR   float64 // AR at OKS 0.50:0.95, all areas
	AR50 float64 // AR at OKS 0.50
	AR75 float64 // AR at OKS 0.75
	ARm  float64 // AR, medium persons
	ARl  float64 // AR, large persons
}

// Values returns the stats in pycocotools' order (AP, AP50, AP75, APm, APl, AR, AR50, AR75, ARm,
// ARl).
func (s COCOStats) Values() [10]float64 {
	return [10]float64{s.AP, s.AP50, s.AP75, s.APm, s.APl, s.AR, s.AR50, s.AR75, s.ARm, s.ARl}
}

// cocoStatSpec describes one of the ten summary lines.
type cocoStatSpec struct {
	ap   bool
	iou  float64 // 0 = all thresholds
	area string
}

var cocoStatSpecs = [10]cocoStatSpec{
	{true, 0, "all"}, {true, 0.5, "all"}, {true, 0.75, "all"}, {true, 0, "medium"}, {true, 0, "large"},
	{false, 0, "all"}, {false, 0.5, "all"}, {false, 0.75, "all"}, {false, 0, "medium"}, {false, 0, "large"},
}

// Stats summarizes the accumulation as pycocotools' summarize does for keypoints: each number
// is the mean of the selected precision (or recall) entries that are > -1, in numpy's order and
// with numpy's pairwise summation, or -1 when there is none. An area label or OKS threshold
// missing from p selects nothing (-1).
func (acc *COCOAccumulation) Stats(p COCOParams) COCOStats {
	var v [10]float64
	var sel []float64
	for i, spec := range cocoStatSpecs {
		sel = sel[:0]
		a := -1
		for j, r := range p.AreaRanges {
			if r.Label == spec.area {
				a = j
				break
			}
		}
		for t, thr := range p.OKSThresholds {
			if a < 0 || (spec.iou != 0 && thr != spec.iou) {
				continue
			}
			if spec.ap {
				for r := 0; r < acc.R; r++ {
					for k := 0; k < acc.K; k++ {
						if x := acc.PrecisionAt(t, r, k, a); x > -1 {
							sel = append(sel, x)
						}
					}
				}
			} else {
				for k := 0; k < acc.K; k++ {
					if x := acc.RecallAt(t, k, a); x > -1 {
						sel = append(sel, x)
					}
				}
			}
		}
		v[i] = -1
		if len(sel) > 0 {
			v[i] = cocoPairwiseSum(sel) / float64(len(sel))
		}
	}
	return COCOStats{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]}
}

// Summary returns pycocotools' ten-line printout of the stats, character for character, for the
// thresholds and detection limit of p.
func (s COCOStats) Summary(p COCOParams) string {
	var b strings.Builder
	values := s.Values()
	for i, spec := range cocoStatSpecs {
		title, typ := "Average Precision", "(AP)"
		if !spec.ap {
			title, typ = "Average Recall", "(AR)"
		}
		iou := fmt.Sprintf("%0.2f", spec.iou)
		if spec.iou == 0 && len(p.OKSThresholds) > 0 {
			iou = fmt.Sprintf("%0.2f:%0.2f", p.OKSThresholds[0], p.OKSThresholds[len(p.OKSThresholds)-1])
		}
		fmt.Fprintf(&b, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
			title, typ, iou, spec.area, p.MaxDets, values[i])
	}
	return b.String()
}
