package distill

import (
	"fmt"

	"github.com/posedistill/posedistill/train"
)

// Variant is one way of training the student: its loss terms and which teachers it runs.
type Variant struct {
	Name                            string
	Terms                           []train.Term
	UsePrimary, UseSenior           bool
	BinarizePrimary, BinarizeSenior bool
}

// Teacher names in the batch extras.
const (
	PrimaryName = "primary"
	SeniorName  = "senior"
	// PretrainName names the GT-only student every variant starts from (Experiment.PretrainSteps).
	PretrainName = "pretrain"
)

// Recipe holds the distillation hyper-parameters a variant is built from.
type Recipe struct {
	Alpha          train.Schedule
	Stages         Stages
	MaskWeight     float64
	RestrictWeight float64
}

// BuildVariant returns the named variant of the ablation:
//
//	gt           ‖H − H_GT‖² (no teacher)
//	primary      α‖H − H_GT‖² + (1−α)‖H − H_PT‖²                  (MoVNect/FPD, weaker teacher)
//	senior       α‖H − H_GT‖² + (1−α)‖H − H_ST‖²                  (MoVNect/FPD, stronger teacher)
//	both         α GT + (1−α)/2 each binarized teacher + mask terms, all steps (unordered)
//	odkd         α GT + (1−α) binarized PT, then binarized ST + mask terms (ordered)
//	odkd_nobin   odkd with the raw teacher heatmaps
//	odkd_nomask  odkd without the segmentation terms
func BuildVariant(name string, r Recipe) (Variant, error) {
	alpha := r.Alpha
	if alpha == nil {
		alpha = train.Constant(0.5)
	}
	teach := func(step int) float64 { return 1 - alpha(step) }
	gt := train.HeatmapMSE("heatmap_gt", alpha)
	v := Variant{Name: name}
	switch name {
	case "gt":
		v.Terms = []train.Term{train.HeatmapMSE("heatmap_gt", nil)}
		return v, nil
	case "primary":
		v.Terms, v.UsePrimary = HeatmapTerms("heatmap_primary", PrimaryName+SuffixHeatmaps, alpha), true
		return v, nil
	case "senior":
		v.Terms, v.UseSenior = HeatmapTerms("heatmap_senior", SeniorName+SuffixHeatmaps, alpha), true
		return v, nil
	}
	st := r.Stages
	bin, mask := true, true
	switch name {
	case "both":
		st = Stages{Order: Unordered}
	case "odkd":
	case "odkd_nobin":
		bin = false
	case "odkd_nomask":
		mask = false
	default:
		return v, fmt.Errorf("unknown variant %q (known: %v)", name, VariantNames())
	}
	if st.Order == "" {
		st.Order = Ordered
	}
	if err := st.Validate(); err != nil {
		return v, fmt.Errorf("variant %s: %w", name, err)
	}
	share := train.Schedule(teach)
	if st.Order == Unordered {
		share = func(step int) float64 { return teach(step) / 2 }
	}
	suffix := SuffixHeatmaps
	if bin {
		suffix = SuffixBinary
	}
	v.UsePrimary, v.UseSenior, v.BinarizePrimary, v.BinarizeSenior = true, true, bin, bin
	v.Terms = []train.Term{
		gt,
		train.TeacherHeatmapMSE("heatmap_primary", PrimaryName+suffix, Gated(share, st.Primary())),
		train.TeacherHeatmapMSE("heatmap_senior", SeniorName+suffix, Gated(share, st.Senior())),
	}
	if mask {
		v.Terms = append(v.Terms,
			MaskBCE("mask_senior", SeniorName+SuffixMask, Gated(train.Constant(r.MaskWeight), st.Senior())),
			MaskRestriction("mask_restrict", SeniorName+SuffixMaskDilated, Gated(train.Constant(r.RestrictWeight), st.Senior())))
	}
	return v, nil
}
