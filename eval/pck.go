package eval

import (
	"fmt"
	"math"
	"sort"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
)

// PCKNorm selects the length that scales the distance threshold of PCK.
type PCKNorm int

const (
	// NormBox scales by max(width, height) of the ground-truth box.
	NormBox PCKNorm = iota
	// NormTorso scales by the torso diagonal: the distance between the ground-truth
	// left_shoulder and right_hip (COCO-17 joints 5 and 12), or, when either is unlabelled,
	// between right_shoulder and left_hip (joints 6 and 11). Instances with neither diagonal
	// labelled are skipped.
	NormTorso
	// NormHead scales by the head size, which COCO-17 does not annotate: the distance between the
	// ground-truth left_ear and right_ear (joints 3 and 4), or, when either is unlabelled, twice
	// the distance between left_eye and right_eye (joints 1 and 2). Instances with neither pair
	// labelled are skipped. Ear-to-ear is a frontal width: it shrinks for people seen in profile,
	// which makes PCKh stricter there than MPII's head-box based PCKh.
	NormHead
)

// String returns "box", "torso" or "head".
func (n PCKNorm) String() string {
	switch n {
	case NormBox:
		return "box"
	case NormTorso:
		return "torso"
	case NormHead:
		return "head"
	}
	return fmt.Sprintf("PCKNorm(%d)", int(n))
}

// ParsePCKNorm parses "box", "torso" or "head".
func ParsePCKNorm(s string) (PCKNorm, error) {
	for _, n := range []PCKNorm{NormBox, NormTorso, NormHead} {
		if n.String() == s {
			return n, nil
		}
	}
	return 0, fmt.Errorf("unknown PCK normalisation %q (want box, torso or head)", s)
}

// PCKConfig configures PCK.
type PCKConfig struct {
	// Alpha is the threshold as a fraction of the normalising length (0.2 for PCK@0.2, 0.5 for
	// PCKh@0.5). A joint is correct when its distance is strictly below Alpha × length.
	Alpha float64
	// Norm selects the normalising length.
	Norm PCKNorm
	// Set names the joints (NormTorso and NormHead look them up by name); nil means COCO-17.
	Set *skeleton.Set
}

// PCKPair is one predicted pose and the ground-truth instance it is compared with.
type PCKPair struct {
	// Pred holds x, y, score per joint (a COCO result's layout; the score is not used). Nil
	// means the person was not detected: every labelled joint counts as wrong.
	Pred []float64
	// GT holds x, y, v per joint (a COCO annotation's layout); joints with v = 0 are skipped.
	GT []float64
	// BBox is the ground-truth box x, y, width, height (used by NormBox).
	BBox [4]float64
	// AnnotationID is the ground-truth annotation's id (PairResults sets it; 0 when unknown).
	AnnotationID int64
}

// PCKResult is the outcome of PCK.
type PCKResult struct {
	// PCK is the fraction of labelled joints predicted correctly (NaN when none was labelled).
	PCK float64
	// Correct and Labelled count joints over all evaluated instances.
	Correct, Labelled int
	// PerJoint is each joint's PCK (NaN for joints never labelled), with its counts.
	PerJoint                          []float64
	PerJointCorrect, PerJointLabelled []int
	// Instances counts the evaluated pairs; Skipped the pairs without a usable normalising length.
	Instances, Skipped int
}

// PCK computes the percentage of correct keypoints over pairs.
func PCK(pairs []PCKPair, cfg PCKConfig) (PCKResult, error) {
	set := cfg.Set
	if set == nil {
		set = skeleton.COCO17()
	}
	if !(cfg.Alpha > 0) || math.IsInf(cfg.Alpha, 0) {
		return PCKResult{}, fmt.Errorf("pck: alpha %v must be positive and finite", cfg.Alpha)
	}
	norm, err := pckNormFunc(cfg.Norm, set)
	if err != nil {
		return PCKResult{}, err
	}
	k := set.NumJoints()
	res := PCKResult{PerJointCorrect: make([]int, k), PerJointLabelled: make([]int, k)}
	for i, p := range pairs {
		if len(p.GT) != 3*k {
			return PCKResult{}, fmt.Errorf("pck: pair %d: ground truth has %d values, want %d (%s)", i, len(p.GT), 3*k, set.Name)
		}
		if p.Pred != nil && len(p.Pred) != 3*k {
			return PCKResult{}, fmt.Errorf("pck: pair %d: prediction has %d values, want %d (%s)", i, len(p.Pred), 3*k, set.Name)
		}
		length, ok := norm(p)
		if !ok {
			res.Skipped++
			continue
		}
		res.Instances++
		thr := cfg.Alpha * length
		for j := 0; j < k; j++ {
			if p.GT[3*j+2] <= 0 {
				continue
			}
			res.PerJointLabelled[j]++
			if p.Pred == nil {
				continue
			}
			if math.Hypot(p.Pred[3*j]-p.GT[3*j], p.Pred[3*j+1]-p.GT[3*j+1]) < thr {
				res.PerJointCorrect[j]++
			}
		}
	}
	res.PerJoint = make([]float64, k)
	for j := range res.PerJoint {
		res.Correct += res.PerJointCorrect[j]
		res.Labelled += res.PerJointLabelled[j]
		res.PerJoint[j] = ratio(res.PerJointCorrect[j], res.PerJointLabelled[j])
	}
	res.PCK = ratio(res.Correct, res.Labelled)
	return res, nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// pckNormFunc returns the function giving a pair's normalising length, false when unusable.
func pckNormFunc(n PCKNorm, set *skeleton.Set) (func(PCKPair) (float64, bool), error) {
	switch n {
	case NormBox:
		return func(p PCKPair) (float64, bool) {
			l := math.Max(p.BBox[2], p.BBox[3])
			return l, l > 0
		}, nil
	case NormTorso:
		return jointDistanceNorm(set, n, [][2]string{{"left_shoulder", "right_hip"}, {"right_shoulder", "left_hip"}}, []float64{1, 1})
	case NormHead:
		return jointDistanceNorm(set, n, [][2]string{{"left_ear", "right_ear"}, {"left_eye", "right_eye"}}, []float64{1, 2})
	}
	return nil, fmt.Errorf("pck: unknown normalisation %v", n)
}

// jointDistanceNorm measures the first labelled pair of named joints, times its factor.
func jointDistanceNorm(set *skeleton.Set, n PCKNorm, names [][2]string, factors []float64) (func(PCKPair) (float64, bool), error) {
	idx := make([][2]int, len(names))
	for i, pn := range names {
		a, b := set.Index(pn[0]), set.Index(pn[1])
		if a < 0 || b < 0 {
			return nil, fmt.Errorf("pck: %s normalisation needs joints %s and %s, which %s lacks", n, pn[0], pn[1], set.Name)
		}
		idx[i] = [2]int{a, b}
	}
	return func(p PCKPair) (float64, bool) {
		for i, ab := range idx {
			a, b := ab[0], ab[1]
			if p.GT[3*a+2] > 0 && p.GT[3*b+2] > 0 {
				l := factors[i] * math.Hypot(p.GT[3*a]-p.GT[3*b], p.GT[3*a+1]-p.GT[3*b+1])
				return l, l > 0
			}
		}
		return 0, false
	}, nil
}

// PairResults pairs each ground-truth person of gt (non-crowd annotations with at least one
// labelled keypoint) with at most one result of the same image: results are taken in decreasing
// score order, each by the unpaired person whose labelled keypoints are closest on average. A
// person left without a result gets a nil prediction (all its joints count as wrong); results
// left without a person are ignored, as PCK does not penalise false positives.
func PairResults(gt *dataset.Dataset, results []dataset.Result) ([]PCKPair, error) {
	byImage := map[int64][]int{}
	for i, r := range results {
		byImage[r.ImageID] = append(byImage[r.ImageID], i)
	}
	people := map[int64][]int{}
	var order []int64
	for i, a := range gt.Annotations {
		if a.IsCrowd != 0 || !hasLabelled(a.Keypoints) {
			continue
		}
		if _, ok := people[a.ImageID]; !ok {
			order = append(order, a.ImageID)
		}
		people[a.ImageID] = append(people[a.ImageID], i)
	}
	var pairs []PCKPair
	for _, img := range order {
		anns := people[img]
		preds := byImage[img]
		sort.SliceStable(preds, func(x, y int) bool { return results[preds[x]].Score > results[preds[y]].Score })
		taken := make([]bool, len(anns))
		chosen := make([][]float64, len(anns))
		for _, ri := range preds {
			r := results[ri]
			best, bestD := -1, math.Inf(1)
			for ai, gi := range anns {
				if taken[ai] {
					continue
				}
				g := gt.Annotations[gi].Keypoints
				if len(g) != len(r.Keypoints) {
					return nil, fmt.Errorf("pair results: image %d: result with %d keypoint values, annotation %d has %d",
						img, len(r.Keypoints), gt.Annotations[gi].ID, len(g))
				}
				if d := meanLabelledDistance(r.Keypoints, g); d < bestD {
					best, bestD = ai, d
				}
			}
			if best >= 0 {
				taken[best] = true
				chosen[best] = r.Keypoints
			}
		}
		for ai, gi := range anns {
			a := gt.Annotations[gi]
			pairs = append(pairs, PCKPair{Pred: chosen[ai], GT: a.Keypoints, BBox: a.BBox, AnnotationID: a.ID})
		}
	}
	return pairs, nil
}

func hasLabelled(kp []float64) bool {
	for j := 2; j < len(kp); j += 3 {
		if kp[j] > 0 {
			return true
		}
	}
	return false
}

func meanLabelledDistance(pred, gt []float64) float64 {
	sum, n := 0.0, 0
	for j := 0; j+2 < len(gt); j += 3 {
		if gt[j+2] > 0 {
			sum += math.Hypot(pred[j]-gt[j], pred[j+1]-gt[j+1])
			n++
		}
	}
	if n == 0 {
		return math.Inf(1)
	}
	return sum / float64(n)
}
