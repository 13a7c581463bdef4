package distill

import (
	"fmt"
)

// Teacher names in the batch extras.
const (
	PrimaryName = "primary"
	SeniorName  = "senior"
	// PretrainName names the GT-only student every variant starts from (Experiment.PretrainSteps).
	PretrainName = "pretrain"
)

// VariantParams are what the ablation's variants share: the teachers' run directories, α, the
// binarization threshold, the orderly switch step and the mask weights.
type VariantParams struct {
	Primary, Senior            string
	Alpha                      float64
	Binarize                   float64
	Switch                     int
	MaskWeight, RestrictWeight float64
}

// VariantNames lists the known variants in table order.
func VariantNames() []string {
	return []string{"gt", "primary", "senior", "both", "odkd", "odkd_nobin", "odkd_nomask"}
}

// VariantRecipe returns the recipe of a named variant of the ablation (every student carries the
// light mask head, so that all variants have the same architecture):
//
//	gt           ‖H − H_GT‖² (no teacher)
//	primary      α‖H − H_GT‖² + (1−α)‖H − H_PT‖²                  (MoVNect/FPD, weaker teacher)
//	senior       α‖H − H_GT‖² + (1−α)‖H − H_ST‖²                  (MoVNect/FPD, stronger teacher)
//	both         α GT + (1−α)/2 each binarized teacher + mask terms, all steps (unordered)
//	odkd         α GT + (1−α) binarized PT, then binarized ST + mask terms (ordered)
//	odkd_nobin   odkd with the raw teacher heatmaps
//	odkd_nomask  odkd without the segmentation terms
func VariantRecipe(name string, p VariantParams) (Recipe, error) {
	r := Recipe{MaskHead: true}
	primary := TeacherRef{Name: PrimaryName, Run: p.Primary}
	senior := TeacherRef{Name: SeniorName, Run: p.Senior}
	switch name {
	case "gt":
		return r, nil
	case "primary":
		r.Teachers, r.Alpha = []TeacherRef{primary}, p.Alpha
		return r, r.Validate()
	case "senior":
		r.Teachers, r.Alpha = []TeacherRef{senior}, p.Alpha
		return r, r.Validate()
	}
	bin := &Binarization{Threshold: p.Binarize, Floor: DefaultBinarization().Floor}
	r.Order, r.Switch, r.Mask = Ordered, p.Switch, true
	switch name {
	case "both":
		r.Order, r.Switch = Unordered, 0
	case "odkd":
	case "odkd_nobin":
		bin = nil
	case "odkd_nomask":
		r.Mask = false
	default:
		return r, fmt.Errorf("unknown variant %q (known: %v)", name, VariantNames())
	}
	primary.Binarize, senior.Binarize = bin, bin
	r.Teachers, r.Alpha = []TeacherRef{primary, senior}, p.Alpha
	if r.Mask {
		r.MaskWeight, r.RestrictWeight = p.MaskWeight, p.RestrictWeight
	}
	if err := r.Validate(); err != nil {
		return r, fmt.Errorf("variant %s: %w", name, err)
	}
	return r, nil
}
