package topdown

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
)

// Config describes how instances become samples.
type Config struct {
	// Codec fixes the input and heatmap sizes and the target convention; a UDP codec also selects
	// UDP's warp matrix.
	Codec *codec.Codec
	// Joints is the keypoint set of the annotations' 2D keypoints.
	Joints *skeleton.Set
	// Joints3D is the joint set of the annotations' Joints3D; nil disables location maps.
	Joints3D *skeleton.Set
	// Root3D is the index in Joints3D of the joint the 3D targets are relative to.
	Root3D int
	// Padding enlarges the annotated box (1.25 for COCO).
	Padding float64
	// Mean and Std normalise the crop's 0–255 RGB values.
	Mean, Std [3]float32
	// Augment, when set, randomises the crop (training); nil gives the plain box crop.
	Augment *Augment
	// Mask asks for a segmentation target at heatmap resolution.
	Mask bool
	// Pairs, when enabled, separates left/right pairs decoded onto one spot (see
	// codec.Codec.SeparatePairs).
	Pairs codec.PairSeparation
}

// NewConfig returns the evaluation configuration for a codec and a keypoint set: padding 1.25,
// ImageNet normalisation, no augmentation, no location maps, no mask.
func NewConfig(c *codec.Codec, joints *skeleton.Set) Config {
	return Config{Codec: c, Joints: joints, Padding: 1.25, Mean: ImageNetMean(), Std: ImageNetStd()}
}

// Validate reports whether the configuration is usable.
func (cfg *Config) Validate() error {
	if err := cfg.Codec.Validate(); err != nil {
		return fmt.Errorf("topdown: %w", err)
	}
	if cfg.Joints == nil || cfg.Joints.NumJoints() == 0 {
		return fmt.Errorf("topdown: no keypoint set")
	}
	if err := cfg.Pairs.Validate(); err != nil {
		return fmt.Errorf("topdown: %w", err)
	}
	if cfg.Joints3D != nil && (cfg.Root3D < 0 || cfg.Root3D >= cfg.Joints3D.NumJoints()) {
		return fmt.Errorf("topdown: 3D root %d outside %s", cfg.Root3D, cfg.Joints3D.Name)
	}
	if !(cfg.Padding > 0) {
		return fmt.Errorf("topdown: padding %v must be positive", cfg.Padding)
	}
	for _, s := range cfg.Std {
		if !(s > 0) {
			return fmt.Errorf("topdown: std %v must be positive", cfg.Std)
		}
	}
	if cfg.Augment != nil {
		return cfg.Augment.Validate()
	}
	return nil
}

// Instance is one person of a dataset: the annotation with its image entry and file path.
type Instance struct {
	ImagePath  string
	Image      dataset.Image
	Annotation dataset.Annotation
}

// Sample is one network input with its targets and what is needed to map predictions back.
type Sample struct {
	// Image is the normalised crop, [InputH, InputW, 3].
	Image []float32
	// Heatmaps are the codec's targets, [HeatH, HeatW, K], and Weights their per-joint weights.
	Heatmaps, Weights []float32
	// LocationMaps are the codec's X/Y/Z targets, [HeatH, HeatW, 3J], with per-joint weights
	// LocationWeights (all 0 for an instance without 3D joints); nil without Config.Joints3D.
	LocationMaps, LocationWeights []float32
	// Mask is the segmentation target, [HeatH, HeatW], with weight MaskWeight (0 when the
	// instance has no mask); nil without Config.Mask.
	Mask       []float32
	MaskWeight float32
	// Keypoints are the instance's joints in crop pixels after augmentation (swapped if flipped).
	Keypoints []codec.Keypoint
	// ToImage maps crop pixels to image pixels.
	ToImage Affine
	// Box is the cropped box after augmentation, Rotation its angle in degrees, Flipped whether
	// the crop is mirrored.
	Box      Box
	Rotation float64
	Flipped  bool
	// ImageID and AnnotationID identify the instance.
	ImageID, AnnotationID int64
	// Extra holds additional per-sample tensors (e.g. precomputed teacher heatmaps); Collate
	// stacks them by name.
	Extra map[string]Tensor
}

// Build makes the sample of inst from its decoded image (and its mask at image resolution when
// Config.Mask is set; nil means none). rng drives the augmentation and must be set when
// Config.Augment is; the same rng state gives the same sample.
func (cfg *Config) Build(inst Instance, img *RGB, mask *dataset.Mask, rng *rand.Rand) (*Sample, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Sample{}
	if err := cfg.buildInto(s, inst, img, mask, rng); err != nil {
		return nil, err
	}
	return s, nil
}

// buildInto fills s with the sample of inst. The tensors s already holds (a batch's rows) must
// have the configuration's sizes and are overwritten; missing ones are allocated.
func (cfg *Config) buildInto(s *Sample, inst Instance, img *RGB, mask *dataset.Mask, rng *rand.Rand) error {
	if err := cfg.build(s, inst, img, mask, rng); err != nil {
		return fmt.Errorf("annotation %d (image %d): %w", inst.Annotation.ID, inst.Annotation.ImageID, err)
	}
	return nil
}

// buffer returns buf if it holds n values, or a new slice of n values.
func buffer(buf []float32, n int) []float32 {
	if len(buf) == n {
		return buf
	}
	return make([]float32, n)
}

func (cfg *Config) build(s *Sample, inst Instance, img *RGB, mask *dataset.Mask, rng *rand.Rand) error {
	c := cfg.Codec
	ann := &inst.Annotation
	k := cfg.Joints.NumJoints()
	if len(ann.Keypoints) != 3*k {
		return fmt.Errorf("%d keypoint values, want 3×%d for %s", len(ann.Keypoints), k, cfg.Joints.Name)
	}
	bb := ann.BBox
	if !(bb[2] > 0 && bb[3] > 0) || !finite4(bb) {
		return fmt.Errorf("invalid bbox %v", bb)
	}
	if img == nil {
		return fmt.Errorf("no image")
	}
	aspect := float64(c.InputW) / float64(c.InputH)
	d := draw{box: BoxFromXYWH(bb, aspect, cfg.Padding), brightness: 1, contrast: 1, saturation: 1}
	if cfg.Augment != nil {
		if rng == nil {
			return fmt.Errorf("augmentation needs a random source")
		}
		d = cfg.Augment.sample(rng, d.box, ann.Keypoints, LowerBody(cfg.Joints), aspect)
	}
	m := WarpMatrix(d.box, d.rot, c.InputW, c.InputH, c.UDPScale())
	if d.flip {
		m = m.Then(FlipX(c.InputW))
	}
	toImage, err := m.Inverse()
	if err != nil {
		return err
	}
	s.ToImage, s.Box, s.Rotation, s.Flipped = toImage, d.box, d.rot, d.flip
	s.ImageID, s.AnnotationID = ann.ImageID, ann.ID
	s.Image = buffer(s.Image, 3*c.InputW*c.InputH)
	if err := WarpImage(img, m, c.InputW, c.InputH, s.Image); err != nil {
		return err
	}
	jitterColor(s.Image, d)
	if err := Normalize(s.Image, cfg.Mean, cfg.Std); err != nil {
		return err
	}

	s.Keypoints = transformKeypoints(ann.Keypoints, m, d.flip, cfg.Joints.FlipIndex())
	s.Heatmaps = buffer(s.Heatmaps, c.NumHeatPixels()*k)
	s.Weights = buffer(s.Weights, k)
	if err := c.Encode(s.Keypoints, s.Heatmaps, s.Weights); err != nil {
		return err
	}
	if cfg.Joints3D != nil {
		if err := cfg.locationTargets(s, inst, m, d.flip); err != nil {
			return err
		}
	}
	if cfg.Mask {
		s.Mask = buffer(s.Mask, c.NumHeatPixels())
		s.MaskWeight = 0
		if mask == nil {
			clear(s.Mask)
			return nil
		}
		crop := make([]float32, c.InputW*c.InputH)
		if err := WarpMask(mask, m, c.InputW, c.InputH, crop); err != nil {
			return err
		}
		if err := c.EncodeMask(crop, s.Mask); err != nil {
			return err
		}
		s.MaskWeight = 1
	}
	return nil
}

// transformKeypoints maps COCO (x, y, v) triplets through m; when flipped, joint j takes the
// transformed joint flipIndex[j].
func transformKeypoints(kps []float64, m Affine, flip bool, flipIndex []int) []codec.Keypoint {
	k := len(kps) / 3
	t := make([]codec.Keypoint, k)
	for j := range t {
		x, y := m.Apply(kps[3*j], kps[3*j+1])
		t[j] = codec.Keypoint{X: x, Y: y, V: kps[3*j+2]}
	}
	if !flip {
		return t
	}
	out := make([]codec.Keypoint, k)
	for j, fj := range flipIndex {
		out[j] = t[fj]
	}
	return out
}

// finite4 reports whether a box's values are all finite and of a usable size.
func finite4(v [4]float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.Abs(x) > 1e300 {
			return false
		}
	}
	return true
}
