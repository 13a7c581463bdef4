package distill

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/train"
)

// RecipeFile is the name of the recipe Train saves in a run directory.
const RecipeFile = "recipe.json"

// Recipe is the whole description of how a run learns, as data: which teachers (runs trained
// here or imported models, binarized or not), the GT share α of the heatmap loss or its
// schedule, the order of two teachers and the step where they switch, the segmentation and 3D
// terms. It builds the loss terms (Terms) and the network's heads (Net); Train saves it as
// RECIPE.json in the run directory, `distill --resume` reads it back, and its hash (Hash, over
// the whole content) is the cache key of teachers and runs trained from it.
//
// The forms of the loss (MMPose's KeypointMSELoss for every heatmap term):
//
//	no teacher   ‖H − H_GT‖² (+ the GT mask BCE with GTMaskWeight, + the 3D terms with Pose3D)
//	one teacher  α‖H − H_GT‖² + (1−α)‖H − H_T‖²                    (MoVNect/FPD)
//	two teachers α‖H − H_GT‖² + (1−α)‖H − H_PT‖² on the primary's steps + (1−α)‖H − H_ST‖² on the
//	             senior's (ODKD; unordered: both all along with (1−α)/2 each), with Mask the
//	             senior's mask BCE (MaskWeight) and the mask restriction (RestrictWeight) on the
//	             senior's steps.
type Recipe struct {
	// Teachers are none (GT only), one (MoVNect/FPD), or the primary then the senior (ODKD).
	Teachers []TeacherRef `json:"teachers,omitempty"`
	// Alpha is the GT share α of the heatmap loss when there are teachers (MoVNect's α, 0.5 in
	// the papers); the teachers share 1 − α.
	Alpha float64 `json:"alpha"`
	// AlphaEnd, when set, moves α linearly from Alpha to AlphaEnd over the run's steps.
	AlphaEnd *float64 `json:"alpha_end,omitempty"`
	// Order schedules two teachers ("": ordered). Switch is the step where the second one takes
	// over: the senior's first step (ordered) or the primary's (reversed); unused when unordered.
	Order  Order `json:"order,omitempty"`
	Switch int   `json:"switch_step,omitempty"`
	// Mask teaches the senior's segmentation to a light mask head (MaskBCE, MaskWeight) and
	// restricts heatmaps to its dilated mask (MaskRestriction, RestrictWeight).
	Mask           bool    `json:"mask,omitempty"`
	MaskWeight     float64 `json:"mask_weight,omitempty"`
	RestrictWeight float64 `json:"restrict_weight,omitempty"`
	// GTMaskWeight, when positive, trains a mask head on the GT person masks (GTMaskBCE): the
	// recipe of a senior teacher.
	GTMaskWeight float64 `json:"gt_mask_weight,omitempty"`
	// MaskHead gives the network a light mask head even when no term trains it (so that every
	// variant of an ablation has the same architecture).
	MaskHead bool `json:"mask_head,omitempty"`
	// PairWeight, when positive, adds train.PairContrastMSE with this weight: heatmap mass where
	// the joint's left/right counterpart stands costs more than the plain MSE charges for it.
	PairWeight float64 `json:"pair_weight,omitempty"`
	// Pose3D, when set, trains MoVNect's location maps (a 3D network, Net3D) with the GT and, with
	// a teacher, the teacher's location maps, and the bone-length loss.
	Pose3D *Pose3DTerms `json:"pose3d,omitempty"`
	// Hints adds feature distillation of a grafted student's trunk (see HintTerms).
	Hints *HintTerms `json:"hints,omitempty"`
}

// TeacherRef names one teacher of a recipe.
type TeacherRef struct {
	// Name is the teacher's role ("primary", "senior", "teacher3d"): its batch tensors are
	// "<Name>/heatmaps", … and its heatmap term "heatmap_<Name>".
	Name string `json:"name"`
	// Run is the run directory of a teacher trained here; Model an imported model
	// (blazepose-lite, blazepose-full, blazepose-heavy, movenet-lightning, movenet-thunder or
	// movenet-multipose).
	// Exactly one is set.
	Run   string `json:"run,omitempty"`
	Model string `json:"model,omitempty"`
	// Binarize, when set, replaces the teacher's heatmaps by their ODKD binarization.
	Binarize *Binarization `json:"binarize,omitempty"`
}

// Pose3DTerms are the 3D terms of a recipe (see Terms3D).
type Pose3DTerms struct {
	BoneWeight float64 `json:"bone_weight"`
	// LocationWeight multiplies the location-map terms (0 means 1). Masked by the GT heatmaps
	// and averaged over every pixel, they are about a tenth of the heatmap MSE, too little for
	// the shared layers to learn depth and facing: the zoo's 3D teacher uses 30.
	LocationWeight float64 `json:"location_weight,omitempty"`
	// JointWeight, when positive, adds LocationJointL1 against the GT with this weight: the L1
	// error of each joint's position read from the maps (in the maps' units), the quantity MPJPE
	// measures, where the masked per-pixel loss alone leaves the 3D teacher short of it.
	JointWeight float64 `json:"joint_weight,omitempty"`
	// TeacherIs2D says the teacher has no location maps (a 2D heatmap model such as the zoo's
	// MoveNet teachers): it teaches the heatmaps, the location maps learn from the GT alone.
	TeacherIs2D bool `json:"teacher_2d,omitempty"`
}

// Validate reports whether the recipe describes a run Terms can build.
func (r Recipe) Validate() error {
	if len(r.Teachers) > 2 {
		return fmt.Errorf("recipe: %d teachers, at most 2 (primary and senior)", len(r.Teachers))
	}
	seen := map[string]bool{}
	for _, t := range r.Teachers {
		if t.Name == "" {
			return fmt.Errorf("recipe: a teacher has no name")
		}
		if seen[t.Name] {
			return fmt.Errorf("recipe: two teachers named %q", t.Name)
		}
		seen[t.Name] = true
		if (t.Run == "") == (t.Model == "") {
			return fmt.Errorf("recipe: teacher %s needs exactly one of a run directory and a model", t.Name)
		}
		if t.Binarize != nil {
			if err := t.Binarize.Validate(); err != nil {
				return fmt.Errorf("recipe: teacher %s: %w", t.Name, err)
			}
		}
	}
	if !(r.Alpha >= 0 && r.Alpha <= 1) || (r.AlphaEnd != nil && !(*r.AlphaEnd >= 0 && *r.AlphaEnd <= 1)) {
		return fmt.Errorf("recipe: alpha outside [0, 1]")
	}
	if r.MaskWeight < 0 || r.RestrictWeight < 0 || r.GTMaskWeight < 0 || !(r.PairWeight >= 0) || (r.Pose3D != nil && (r.Pose3D.BoneWeight < 0 || r.Pose3D.LocationWeight < 0 || r.Pose3D.JointWeight < 0)) {
		return fmt.Errorf("recipe: a weight is negative or NaN")
	}
	if r.Hints != nil && (r.Hints.File == "" || !(r.Hints.Weight >= 0)) {
		return fmt.Errorf("recipe: hints need a file and a non-negative weight")
	}
	if r.Mask && len(r.Teachers) != 2 {
		return fmt.Errorf("recipe: mask knowledge needs a senior teacher (two teachers)")
	}
	if r.Pose3D != nil && len(r.Teachers) > 1 {
		return fmt.Errorf("recipe: 3D terms take at most one teacher")
	}
	if len(r.Teachers) == 2 {
		if err := r.Stages().Validate(); err != nil {
			return fmt.Errorf("recipe: %w", err)
		}
	}
	return nil
}

// Stages returns the two-teacher schedule (see Stages).
func (r Recipe) Stages() Stages {
	switch r.Order {
	case Unordered:
		return Stages{Order: Unordered}
	case Reversed:
		return Stages{Order: Reversed, SeniorSteps: r.Switch}
	case "", Ordered:
		return Stages{Order: Ordered, PrimarySteps: r.Switch}
	}
	return Stages{Order: r.Order}
}

// alpha returns the GT share's schedule over a run of the given steps.
func (r Recipe) alpha(steps int) train.Schedule {
	if r.AlphaEnd != nil {
		return train.Linear(r.Alpha, *r.AlphaEnd, steps)
	}
	return train.Constant(r.Alpha)
}

// extra returns the name of the heatmap tensor a teacher's terms read.
func (t TeacherRef) extra() string {
	if t.Binarize != nil {
		return t.Name + SuffixBinary
	}
	return t.Name + SuffixHeatmaps
}

// Terms builds the loss terms of a run of cfg (its steps, codec and dist_weight). With a heatmap
// codec every 2D term is a heatmap MSE (the forms above); with the integral codec each target —
// the GT and every teacher — gives a soft-argmax L1 term ("integral_<source>": the GT keypoints, the
// centre of mass of the teacher's map) and, when cfg.DistWeight > 0, a KL term towards its map
// ("dist_<source>", weight × dist_weight), under the same weights and schedules. PairWeight adds
// the pair term "pair_gt" to any of them but the integral codec's.
func (r Recipe) Terms(cfg train.Config) ([]train.Term, error) {
	terms, err := r.keypointTerms(cfg)
	if err != nil || r.PairWeight == 0 {
		return terms, err
	}
	if c, err := cfg.NewCodec(); err == nil && c.Kind == codec.Integral {
		return nil, fmt.Errorf("recipe: the pair term penalises heatmaps and does not support codec integral; use msra, unbiased or udp")
	}
	return append(terms, train.PairContrastMSE("pair_gt", skeleton.COCO17().FlipIndex(), train.Constant(r.PairWeight))), nil
}

// keypointTerms returns Terms' terms without the pair term.
func (r Recipe) keypointTerms(cfg train.Config) ([]train.Term, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	two, err := newTargets2D(cfg)
	if err != nil {
		return nil, err
	}
	steps := cfg.Steps
	if r.Pose3D != nil {
		if two.integral != nil {
			return nil, fmt.Errorf("recipe: 3D terms read joints under heatmaps and do not support codec integral yet; use msra, unbiased or udp")
		}
		if len(r.Teachers) == 0 {
			return Terms3D("", nil, *r.Pose3D), nil
		}
		return Terms3D(r.Teachers[0].Name, r.alpha(steps), *r.Pose3D), nil
	}
	var terms []train.Term
	a := r.alpha(steps)
	share := train.Schedule(func(step int) float64 { return 1 - a(step) })
	switch len(r.Teachers) {
	case 0:
		terms = two.gt(nil)
	case 1:
		t := r.Teachers[0]
		terms = append(two.gt(a), two.teacher(t.Name, t.extra(), share)...)
	case 2:
		st := r.Stages()
		if st.Order == Unordered {
			share = func(step int) float64 { return (1 - a(step)) / 2 }
		}
		p, s := r.Teachers[0], r.Teachers[1]
		terms = two.gt(a)
		terms = append(terms, two.teacher(p.Name, p.extra(), Gated(share, st.Primary()))...)
		terms = append(terms, two.teacher(s.Name, s.extra(), Gated(share, st.Senior()))...)
		if r.Mask {
			terms = append(terms,
				MaskBCE("mask_"+s.Name, s.Name+SuffixMask, Gated(train.Constant(r.MaskWeight), st.Senior())),
				two.restrict("mask_restrict", s.Name+SuffixMaskDilated, Gated(train.Constant(r.RestrictWeight), st.Senior())))
		}
	}
	if r.GTMaskWeight > 0 {
		terms = append(terms, GTMaskBCE("mask_gt", train.Constant(r.GTMaskWeight)))
	}
	return terms, nil
}

// targets2D builds the 2D keypoint terms of one target (the GT or a teacher) in a run's codec.
type targets2D struct {
	integral *codec.Codec // the integral codec, nil for heatmap codecs
	dist     float64      // the KL terms' share with the integral codec
}

func newTargets2D(cfg train.Config) (targets2D, error) {
	c, err := cfg.NewCodec()
	if err != nil {
		return targets2D{}, fmt.Errorf("recipe: %w", err)
	}
	if c.Kind != codec.Integral {
		return targets2D{}, nil
	}
	return targets2D{integral: c, dist: cfg.DistWeight}, nil
}

// gt returns the GT terms with weight w (nil: 1).
func (t targets2D) gt(w train.Schedule) []train.Term {
	if t.integral == nil {
		return []train.Term{train.HeatmapMSE("heatmap_gt", w)}
	}
	terms := []train.Term{train.IntegralL1("integral_gt", train.TensorKeypoints, t.integral, w)}
	if t.dist > 0 {
		terms = append(terms, train.TargetKL("dist_gt", train.TensorHeatmaps, t.scaled(w)))
	}
	return terms
}

// teacher returns the terms of the teacher `name` whose maps are the extra tensor `extra`, with
// weight w.
func (t targets2D) teacher(name, extra string, w train.Schedule) []train.Term {
	if t.integral == nil {
		return []train.Term{train.TeacherHeatmapMSE("heatmap_"+name, extra, w)}
	}
	terms := []train.Term{train.TeacherIntegralL1("integral_"+name, extra, t.integral, w)}
	if t.dist > 0 {
		terms = append(terms, train.TargetKL("dist_"+name, train.ExtraPrefix+extra, t.scaled(w)))
	}
	return terms
}

// restrict returns the mask restriction term against the dilated mask `extra`: on the heatmaps
// (MaskRestriction) or, with the integral codec, on the maps' probability mass (MaskMassRestriction).
func (t targets2D) restrict(name, extra string, w train.Schedule) train.Term {
	if t.integral == nil {
		return MaskRestriction(name, extra, w)
	}
	return MaskMassRestriction(name, extra, w)
}

// scaled returns w × dist (w nil: 1).
func (t targets2D) scaled(w train.Schedule) train.Schedule {
	return func(step int) float64 {
		if w == nil {
			return t.dist
		}
		return t.dist * w(step)
	}
}

// Net returns the network a run of cfg with this recipe trains: cfg's (the 3D MoVNect with
// Pose3D), with a light mask head when a term trains one or MaskHead asks for it.
func (r Recipe) Net(cfg train.Config) (*nets.Net, error) {
	var net *nets.Net
	var err error
	if r.Pose3D != nil {
		net, err = Net3D(cfg)
	} else {
		net, err = cfg.Net()
	}
	if err != nil {
		return nil, err
	}
	if r.MaskHead || r.Mask || r.GTMaskWeight > 0 {
		return WithMaskHead(net)
	}
	return net, nil
}

// Targets returns the GT targets the recipe's terms need beyond the heatmaps.
func (r Recipe) Targets() train.TargetsConfig {
	return train.TargetsConfig{Masks: r.GTMaskWeight > 0, Locations: r.Pose3D != nil}
}

// Hash is the hex SHA-256 (16 digits) of the recipe's JSON and CacheVersion.
func (r Recipe) Hash() (string, error) { return HashOf(r) }

// Save writes the recipe to dir/recipe.json, atomically.
func (r Recipe) Save(dir string) error {
	return atomicfile.WriteJSON(filepath.Join(dir, RecipeFile), r)
}

// ErrNoRecipe is returned by ReadRecipe for a run directory without recipe.json.
var ErrNoRecipe = errors.New("no " + RecipeFile)

// ReadRecipe reads a run directory's recipe.json (ErrNoRecipe when there is none).
func ReadRecipe(dir string) (Recipe, error) {
	var r Recipe
	path := filepath.Join(dir, RecipeFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return r, fmt.Errorf("%s: %w", dir, ErrNoRecipe)
	}
	if err != nil {
		return r, fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("read %s: %w", path, err)
	}
	if err := r.Validate(); err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// sameRecipe reports whether two recipes have the same content.
func sameRecipe(a, b Recipe) bool {
	ha, err1 := a.Hash()
	hb, err2 := b.Hash()
	return err1 == nil && err2 == nil && ha == hb
}
