package eval

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
)

// Facing is which way a person's torso faces the camera.
type Facing int

const (
	// FacingUnknown: the annotation has no usable 3D joints.
	FacingUnknown Facing = iota
	// FacingFront: the chest is turned towards the camera (within 60°).
	FacingFront
	// FacingBack: the back is turned towards the camera (within 60°).
	FacingBack
	// FacingProfile: everything between, a side view.
	FacingProfile
	numFacings
)

// String returns the facing's lower-case name.
func (f Facing) String() string {
	switch f {
	case FacingFront:
		return "front"
	case FacingBack:
		return "back"
	case FacingProfile:
		return "profile"
	}
	return "unknown"
}

// Facings lists the known facings in report order.
func Facings() []Facing { return []Facing{FacingFront, FacingProfile, FacingBack} }

// FacingOf classifies a person by its 3D joints (x, y, z in camera coordinates, the joints of
// skeleton.H36M17 first, as posedistill's synthetic annotations store them): the torso's forward
// direction, (left shoulder − right shoulder) × (neck − pelvis), against the direction from the
// person to the camera.
func FacingOf(joints3D []float64) Facing {
	h := skeleton.H36M17()
	if len(joints3D) < 3*h.NumJoints() {
		return FacingUnknown
	}
	at := func(name string) [3]float64 {
		i := 3 * h.Index(name)
		return [3]float64{joints3D[i], joints3D[i+1], joints3D[i+2]}
	}
	sub := func(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
	across := sub(at("left_shoulder"), at("right_shoulder"))
	pelvis := at("pelvis")
	up := sub(at("neck"), pelvis)
	fwd := [3]float64{
		across[1]*up[2] - across[2]*up[1],
		across[2]*up[0] - across[0]*up[2],
		across[0]*up[1] - across[1]*up[0],
	}
	toCam := [3]float64{-pelvis[0], -pelvis[1], -pelvis[2]}
	nf := math.Sqrt(fwd[0]*fwd[0] + fwd[1]*fwd[1] + fwd[2]*fwd[2])
	nc := math.Sqrt(toCam[0]*toCam[0] + toCam[1]*toCam[1] + toCam[2]*toCam[2])
	if !(nf > 0 && nc > 0) {
		return FacingUnknown
	}
	cos := (fwd[0]*toCam[0] + fwd[1]*toCam[1] + fwd[2]*toCam[2]) / (nf * nc)
	switch {
	case cos > 0.5:
		return FacingFront
	case cos < -0.5:
		return FacingBack
	}
	return FacingProfile
}

// LeftRightStats counts left/right confusions among some people.
type LeftRightStats struct {
	// People counts the people with at least one labelled left/right limb pair.
	People int
	// Joints counts the limb joints judged (both sides of their pair labelled, a prediction
	// present); Swapped those whose prediction lies nearer the opposite side's joint than its own.
	Joints, Swapped int
	// SwapRate is Swapped / Joints (NaN when no joint was judged): 0.5 is a coin toss.
	SwapRate float64
	// Inverted counts the judged joints whose prediction is wrong for its own joint but right for
	// the opposite side's: keypoint similarity (COCO's OKS term of one joint) below 0.5 to its own
	// joint and at least 0.5 to the other, Ronchi and Perona's "inversion" error (Benchmarking and
	// Error Diagnosis in Multi-Instance Pose Estimation, ICCV 2017). Unlike Swapped it does not
	// count a prediction that is right for its own joint when both sides nearly coincide (the hips
	// of a person seen in profile). InversionRate is Inverted / Joints.
	Inverted      int
	InversionRate float64
	// PCK is the PCK of all labelled joints of these people (same normalisation as the report).
	PCK float64
}

// LeftRightReport is the left/right diagnosis of a set of predictions.
type LeftRightReport struct {
	// All is every person; ByFacing splits them by Facing (FacingUnknown when no 3D joints).
	All      LeftRightStats
	ByFacing map[Facing]LeftRightStats
	// PerJoint is each joint's PCK over all people (the set's order).
	PerJoint []float64
	// Midpoint is the fraction of judged limb joints whose prediction lies nearer the midpoint of
	// its left/right pair than the joint itself: the signature of a model that averages both sides.
	Midpoint float64
	// ByPair splits All by limb pair (shoulder, elbow, ..., ankle: both sides' joints counted
	// together), in the set's order; People is not counted per pair.
	ByPair []PairStats
}

// PairStats is LeftRightStats' swap and inversion counts of one left/right pair of joints.
type PairStats struct {
	// Name is the pair's joint name without its side ("wrist" for left_wrist and right_wrist).
	Name string
	// Joints, Swapped, SwapRate, Inverted and InversionRate are as in LeftRightStats.
	Joints, Swapped, Inverted int
	SwapRate, InversionRate   float64
}

// limbJoint reports whether COCO-17 joint name is a limb joint (shoulders down), the ones whose
// side a model must tell from the body's facing.
func limbJoint(name string) bool {
	switch name {
	case "nose", "left_eye", "right_eye", "left_ear", "right_ear":
		return false
	}
	return true
}

// LeftRight diagnoses left/right confusions of pairs (from PairResults on gt, whose annotations
// give each person's facing through their 3D joints) on the COCO-17 joints: the swap rate (a
// left wrist predicted nearer the right wrist than the left, and so on for every limb joint), by
// facing, with the PCK of cfg (Set is COCO-17 when nil).
func LeftRight(pairs []PCKPair, gt *dataset.Dataset, cfg PCKConfig) (LeftRightReport, error) {
	set := cfg.Set
	if set == nil {
		set = skeleton.COCO17()
	}
	flip := set.FlipIndex()
	if len(set.Sigmas) != set.NumJoints() {
		return LeftRightReport{}, fmt.Errorf("left/right: joint set %s has no OKS sigmas", set.Name)
	}
	byID := make(map[int64]*dataset.Annotation, len(gt.Annotations))
	for i := range gt.Annotations {
		byID[gt.Annotations[i].ID] = &gt.Annotations[i]
	}
	groups := make([][]PCKPair, numFacings)
	var stats [numFacings]LeftRightStats
	rep := LeftRightReport{ByFacing: map[Facing]LeftRightStats{}}
	var judged, nearMid int
	pairOf, names := limbPairs(set)
	for _, name := range names {
		rep.ByPair = append(rep.ByPair, PairStats{Name: name})
	}
	for i, p := range pairs {
		f := FacingUnknown
		if a := byID[p.AnnotationID]; a != nil {
			f = FacingOf(a.Joints3D)
		}
		groups[f] = append(groups[f], p)
		if p.Pred == nil || len(p.GT) != 3*set.NumJoints() || len(p.Pred) != len(p.GT) {
			if p.Pred != nil {
				return rep, fmt.Errorf("left/right: pair %d: %d predicted and %d labelled values, want %d", i, len(p.Pred), len(p.GT), 3*set.NumJoints())
			}
			continue
		}
		scale := p.BBox[2] * p.BBox[3] // COCO's area; the box's when the annotation has none
		if a := byID[p.AnnotationID]; a != nil && a.Area > 0 {
			scale = a.Area
		}
		counted := false
		for j, name := range set.Joints {
			o := flip[j]
			if o == j || !limbJoint(name) || p.GT[3*j+2] <= 0 || p.GT[3*o+2] <= 0 {
				continue
			}
			px, py := p.Pred[3*j], p.Pred[3*j+1]
			own := math.Hypot(px-p.GT[3*j], py-p.GT[3*j+1])
			other := math.Hypot(px-p.GT[3*o], py-p.GT[3*o+1])
			mid := math.Hypot(px-(p.GT[3*j]+p.GT[3*o])/2, py-(p.GT[3*j+1]+p.GT[3*o+1])/2)
			pair := &rep.ByPair[pairOf[j]]
			stats[f].Joints++
			pair.Joints++
			judged++
			if other < own {
				stats[f].Swapped++
				pair.Swapped++
			}
			if mid < own {
				nearMid++
			}
			if keypointSimilarity(own, set.Sigmas[j], scale) < 0.5 && keypointSimilarity(other, set.Sigmas[o], scale) >= 0.5 {
				stats[f].Inverted++
				pair.Inverted++
			}
			counted = true
		}
		if counted {
			stats[f].People++
		}
	}
	pckOf := func(ps []PCKPair) (PCKResult, error) {
		if len(ps) == 0 {
			return PCKResult{PCK: math.NaN()}, nil
		}
		return PCK(ps, cfg)
	}
	for f := range numFacings {
		s := stats[f]
		s.SwapRate = ratio(s.Swapped, s.Joints)
		s.InversionRate = ratio(s.Inverted, s.Joints)
		r, err := pckOf(groups[f])
		if err != nil {
			return rep, fmt.Errorf("left/right: %w", err)
		}
		s.PCK = r.PCK
		if s.People > 0 || len(groups[f]) > 0 {
			rep.ByFacing[Facing(f)] = s
		}
		rep.All.People += s.People
		rep.All.Joints += s.Joints
		rep.All.Swapped += s.Swapped
		rep.All.Inverted += s.Inverted
	}
	rep.All.SwapRate = ratio(rep.All.Swapped, rep.All.Joints)
	rep.All.InversionRate = ratio(rep.All.Inverted, rep.All.Joints)
	all, err := pckOf(pairs)
	if err != nil {
		return rep, fmt.Errorf("left/right: %w", err)
	}
	rep.All.PCK, rep.PerJoint = all.PCK, all.PerJoint
	rep.Midpoint = ratio(nearMid, judged)
	for i := range rep.ByPair {
		p := &rep.ByPair[i]
		p.SwapRate, p.InversionRate = ratio(p.Swapped, p.Joints), ratio(p.Inverted, p.Joints)
	}
	return rep, nil
}

// LimbPairNames returns the names of set's left/right limb pairs without their side ("shoulder",
// …, "ankle" for COCO-17), in the order of LeftRightReport.ByPair.
func LimbPairNames(set *skeleton.Set) []string {
	_, names := limbPairs(set)
	return names
}

// limbPairs returns, for each joint of set, the index of its limb pair in names (−1 for joints
// that are not limb joints with a flip partner), and the pairs' names without their side.
func limbPairs(set *skeleton.Set) (pairOf []int, names []string) {
	flip := set.FlipIndex()
	pairOf = make([]int, set.NumJoints())
	for j := range pairOf {
		pairOf[j] = -1
	}
	for j, name := range set.Joints {
		if o := flip[j]; o > j && limbJoint(name) {
			pairOf[j], pairOf[o] = len(names), len(names)
			names = append(names, sideless(name))
		}
	}
	return pairOf, names
}

// sideless returns a joint name without its "left_" or "right_" prefix.
func sideless(name string) string {
	for _, side := range []string{"left_", "right_"} {
		if rest, ok := strings.CutPrefix(name, side); ok {
			return rest
		}
	}
	return name
}

// keypointSimilarity is one joint's term of COCO's OKS: exp(−d² / (2·area·(2σ)²)), for a prediction d
// pixels from the joint of a person of the given area.
func keypointSimilarity(d, sigma, area float64) float64 {
	k := 2 * sigma
	return math.Exp(-d * d / (2 * (area + math.SmallestNonzeroFloat64) * k * k))
}

// WriteLeftRightTable writes the report as small text tables: PCK, swap and inversion rates for all
// people and by facing, the share of predictions nearer a pair's midpoint, then the rates by pair.
func WriteLeftRightTable(w io.Writer, rep LeftRightReport, alpha float64) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %7s %9s %10s %10s\n", "facing", "people", fmt.Sprintf("PCK@%g", alpha), "L/R swap", "inversion")
	row := func(name string, s LeftRightStats) {
		fmt.Fprintf(&b, "%-8s %7d %9s %10s %10s\n", name, s.People, fmtRate(s.PCK), fmtRate(s.SwapRate), fmtRate(s.InversionRate))
	}
	row("all", rep.All)
	for _, f := range Facings() {
		if s, ok := rep.ByFacing[f]; ok {
			row(f.String(), s)
		}
	}
	fmt.Fprintf(&b, "limb predictions nearer their left/right midpoint than their joint: %s\n", fmtRate(rep.Midpoint))
	if len(rep.ByPair) > 0 {
		fmt.Fprintf(&b, "%-8s %7s %10s %10s\n", "pair", "joints", "L/R swap", "inversion")
		for _, p := range rep.ByPair {
			fmt.Fprintf(&b, "%-8s %7d %10s %10s\n", p.Name, p.Joints, fmtRate(p.SwapRate), fmtRate(p.InversionRate))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fmtRate formats a rate with three decimals, "—" when undefined.
func fmtRate(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.3f", v)
}
