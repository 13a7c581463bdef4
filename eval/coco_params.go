package eval

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/posedistill/posedistill/skeleton"
)

// COCOAreaRange is one object-size range of the COCO protocol. Both bounds are inclusive, as in
// pycocotools (an object of area exactly 9216 is both "medium" and "large").
type COCOAreaRange struct {
	// Label names the range; the summary looks up "all", "medium" and "large".
	Label string
	// Min and Max bound the object area in square pixels, inclusive.
	Min, Max float64
}

// COCOParams are the parameters of a COCO keypoint evaluation, mirroring pycocotools'
// Params(iouType="keypoints").
type COCOParams struct {
	// Sigmas are the per-keypoint OKS sigmas; their number is the keypoint count K, and every
	// ground-truth and result keypoint list must hold 3·K values.
	Sigmas []float64
	// KeypointNames name the keypoints in the per-keypoint diagnostics (optional; K names).
	KeypointNames []string
	// OKSThresholds are the OKS thresholds at which detections are matched (pycocotools' iouThrs).
	OKSThresholds []float64
	// RecallThresholds are the recall values at which precision is sampled (pycocotools' recThrs).
	RecallThresholds []float64
	// AreaRanges are the object-size ranges, evaluated independently.
	AreaRanges []COCOAreaRange
	// MaxDets is the number of highest-scoring detections kept per image and category.
	MaxDets int
}

// cocoEps is numpy's np.spacing(1), the epsilon pycocotools adds in OKS and precision.
const cocoEps = 2.220446049250313e-16

// DefaultCOCOParams returns pycocotools' keypoint parameters for the 17 COCO keypoints: OKS
// thresholds linspace(0.5, 0.95, 10), recall thresholds linspace(0, 1, 101), area ranges all /
// medium [32², 96²] / large [96², 1e10] and 20 detections per image.
//
// The sigmas are skeleton.COCO17's, computed the way pycocotools computes them
// (np.array([.26, .25, ...]) / 10.0), which differs from the decimal literals in the last bit for
// some joints (0.026000000000000002 instead of 0.026).
func DefaultCOCOParams() COCOParams {
	set := skeleton.COCO17()
	sigmas := make([]float64, len(set.Sigmas))
	for i, s := range set.Sigmas {
		sigmas[i] = (math.Round(s*1000) / 100) / 10
	}
	return COCOParams{
		Sigmas:           sigmas,
		KeypointNames:    append([]string(nil), set.Joints...),
		OKSThresholds:    cocoLinspace(0.5, 0.95, 10),
		RecallThresholds: cocoLinspace(0, 1, 101),
		AreaRanges: []COCOAreaRange{
			{Label: "all", Min: 0, Max: 1e10},
			{Label: "medium", Min: 32 * 32, Max: 96 * 96},
			{Label: "large", Min: 96 * 96, Max: 1e10},
		},
		MaxDets: 20,
	}
}

// COCOParamsFor returns DefaultCOCOParams with the sigmas and keypoint names of set. For the COCO-17
// set it returns DefaultCOCOParams unchanged (pycocotools' exact sigma values).
func COCOParamsFor(set *skeleton.Set) (COCOParams, error) {
	if set == nil {
		return COCOParams{}, errors.New("coco params: nil keypoint set")
	}
	p := DefaultCOCOParams()
	if set.Name == skeleton.COCO17().Name {
		return p, nil
	}
	if len(set.Sigmas) == 0 {
		return COCOParams{}, fmt.Errorf("coco params: keypoint set %s has no OKS sigmas", set.Name)
	}
	p.Sigmas = append([]float64(nil), set.Sigmas...)
	p.KeypointNames = append([]string(nil), set.Joints...)
	return p, p.Validate()
}

// cocoLinspace returns numpy.linspace(start, stop, num) bit for bit: start + i·step with
// step = (stop-start)/(num-1), and the last value forced to stop. (recThrs[35] is therefore
// 0.35000000000000003, not 0.35, and iouThrs[8] is 0.8999999999999999.)
func cocoLinspace(start, stop float64, num int) []float64 {
	out := make([]float64, num)
	if num == 1 {
		out[0] = start
		return out
	}
	step := (stop - start) / float64(num-1)
	for i := range out {
		out[i] = start + float64(float64(i)*step) // no fused multiply-add
	}
	out[num-1] = stop
	return out
}

// Validate reports whether the parameters can drive an evaluation.
func (p COCOParams) Validate() error {
	if len(p.Sigmas) == 0 {
		return errors.New("coco params: no OKS sigmas")
	}
	for i, s := range p.Sigmas {
		if !(s > 0) || math.IsInf(s, 0) {
			return fmt.Errorf("coco params: sigma %d is %v, want a positive finite number", i, s)
		}
	}
	if len(p.KeypointNames) != 0 && len(p.KeypointNames) != len(p.Sigmas) {
		return fmt.Errorf("coco params: %d keypoint names for %d sigmas", len(p.KeypointNames), len(p.Sigmas))
	}
	if len(p.OKSThresholds) == 0 {
		return errors.New("coco params: no OKS thresholds")
	}
	for i, t := range p.OKSThresholds {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return fmt.Errorf("coco params: OKS threshold %d is %v", i, t)
		}
	}
	if len(p.RecallThresholds) == 0 {
		return errors.New("coco params: no recall thresholds")
	}
	for i, r := range p.RecallThresholds {
		if math.IsNaN(r) || math.IsInf(r, 0) {
			return fmt.Errorf("coco params: recall threshold %d is %v", i, r)
		}
	}
	if len(p.AreaRanges) == 0 {
		return errors.New("coco params: no area ranges")
	}
	for _, a := range p.AreaRanges {
		if math.IsNaN(a.Min) || math.IsNaN(a.Max) {
			return fmt.Errorf("coco params: area range %q has a NaN bound", a.Label)
		}
	}
	if p.MaxDets < 1 {
		return fmt.Errorf("coco params: MaxDets is %d, want at least 1", p.MaxDets)
	}
	return nil
}

// clone returns a deep copy of p.
func (p COCOParams) clone() COCOParams {
	p.Sigmas = slices.Clone(p.Sigmas)
	p.KeypointNames = slices.Clone(p.KeypointNames)
	p.OKSThresholds = slices.Clone(p.OKSThresholds)
	p.RecallThresholds = slices.Clone(p.RecallThresholds)
	p.AreaRanges = slices.Clone(p.AreaRanges)
	return p
}

// numKeypoints returns K, the number of keypoints per person.
func (p COCOParams) numKeypoints() int { return len(p.Sigmas) }

// keypointName returns the name of keypoint k, or its index when the parameters carry no names.
func (p COCOParams) keypointName(k int) string {
	if k < len(p.KeypointNames) {
		return p.KeypointNames[k]
	}
	return fmt.Sprintf("kp%d", k)
}
