package topdown

import (
	"fmt"
	"slices"
	"sort"
)

// Tensor is a dense float32 array in row-major order.
type Tensor struct {
	Shape []int
	Data  []float32
}

// Size returns the number of elements the shape holds.
func (t Tensor) Size() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// row returns the i-th slice along the leading axis.
func (t Tensor) row(i int) []float32 {
	per := len(t.Data) / t.Shape[0]
	return t.Data[i*per : (i+1)*per : (i+1)*per]
}

// Batch is N samples stacked along a new leading axis.
type Batch struct {
	// Epoch and Step locate the batch in the loader's sequence (Step counts within the epoch).
	Epoch, Step int
	// Images is [N, InputH, InputW, 3].
	Images Tensor
	// Heatmaps is [N, HeatH, HeatW, K]; Weights is [N, K].
	Heatmaps, Weights Tensor
	// Keypoints is [N, K, 3]: each joint's x, y in input-crop pixels and its visibility, for
	// coordinate losses and metrics on crops.
	Keypoints Tensor
	// LocationMaps is [N, HeatH, HeatW, 3J] and LocationWeights [N, J]; empty without 3D.
	LocationMaps, LocationWeights Tensor
	// Masks is [N, HeatH, HeatW, 1] and MaskWeights [N]; empty without masks.
	Masks, MaskWeights Tensor
	// Extra holds further named tensors with a leading N axis: the samples' own extras, stacked,
	// and whatever a training step adds (teacher heatmaps computed on Images, for instance).
	Extra map[string]Tensor
	// ToImage, ImageIDs, AnnotationIDs and Flipped describe each sample, to map predictions back.
	ToImage       []Affine
	ImageIDs      []int64
	AnnotationIDs []int64
	Flipped       []bool
}

// Len returns the number of samples in the batch.
func (b *Batch) Len() int { return len(b.ToImage) }

// newBatch allocates the tensors of an n-sample batch.
func (cfg *Config) newBatch(n int) *Batch {
	c := cfg.Codec
	k := cfg.Joints.NumJoints()
	hh, hw := c.HeatH, c.HeatW
	alloc := func(shape ...int) Tensor {
		t := Tensor{Shape: append([]int{n}, shape...)}
		t.Data = make([]float32, t.Size())
		return t
	}
	b := &Batch{
		Images:   alloc(c.InputH, c.InputW, 3),
		Heatmaps: alloc(hh, hw, k), Weights: alloc(k), Keypoints: alloc(k, 3),
		ToImage: make([]Affine, n), ImageIDs: make([]int64, n),
		AnnotationIDs: make([]int64, n), Flipped: make([]bool, n),
	}
	if cfg.Joints3D != nil {
		j := cfg.Joints3D.NumJoints()
		b.LocationMaps, b.LocationWeights = alloc(hh, hw, 3*j), alloc(j)
	}
	if cfg.Mask {
		b.Masks, b.MaskWeights = alloc(hh, hw, 1), alloc()
	}
	return b
}

// views returns one Sample per batch row whose tensors are that row of the batch's, so that
// building into them fills the batch without copies.
func (b *Batch) views() []*Sample {
	out := make([]*Sample, len(b.ToImage))
	for i := range out {
		s := &Sample{Image: b.Images.row(i), Heatmaps: b.Heatmaps.row(i), Weights: b.Weights.row(i)}
		if b.LocationMaps.Data != nil {
			s.LocationMaps, s.LocationWeights = b.LocationMaps.row(i), b.LocationWeights.row(i)
		}
		if b.Masks.Data != nil {
			s.Mask = b.Masks.row(i)
		}
		out[i] = s
	}
	return out
}

// Collate stacks samples built with cfg into a batch.
func (cfg *Config) Collate(samples []*Sample) (*Batch, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("topdown: collate: no samples")
	}
	b := cfg.newBatch(len(samples))
	for i, v := range b.views() {
		s := samples[i]
		if s == nil {
			return nil, fmt.Errorf("topdown: collate: sample %d is nil", i)
		}
		for _, f := range []struct {
			name     string
			dst, src []float32
		}{
			{"image", v.Image, s.Image}, {"heatmaps", v.Heatmaps, s.Heatmaps}, {"weights", v.Weights, s.Weights},
			{"location maps", v.LocationMaps, s.LocationMaps}, {"location weights", v.LocationWeights, s.LocationWeights},
			{"mask", v.Mask, s.Mask},
		} {
			if len(f.dst) != len(f.src) {
				return nil, fmt.Errorf("topdown: collate: sample %d %s has %d values, want %d", i, f.name, len(f.src), len(f.dst))
			}
			copy(f.dst, f.src)
		}
	}
	if err := b.finish(samples); err != nil {
		return nil, err
	}
	return b, nil
}

// finish records the samples' metadata and mask weights in the batch and stacks their extras.
func (b *Batch) finish(samples []*Sample) error {
	for i, s := range samples {
		b.ToImage[i], b.ImageIDs[i], b.AnnotationIDs[i], b.Flipped[i] = s.ToImage, s.ImageID, s.AnnotationID, s.Flipped
		kps := b.Keypoints.row(i)
		if len(s.Keypoints)*3 != len(kps) {
			return fmt.Errorf("topdown: collate: sample %d has %d keypoints, want %d", i, len(s.Keypoints), len(kps)/3)
		}
		for j, kp := range s.Keypoints {
			kps[3*j], kps[3*j+1], kps[3*j+2] = float32(kp.X), float32(kp.Y), float32(kp.V)
		}
		if b.MaskWeights.Data != nil {
			b.MaskWeights.Data[i] = s.MaskWeight
		}
	}
	s0 := samples[0]
	if len(s0.Extra) == 0 {
		return nil
	}
	b.Extra = make(map[string]Tensor, len(s0.Extra))
	names := make([]string, 0, len(s0.Extra))
	for name := range s0.Extra {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		shape := s0.Extra[name].Shape
		t := Tensor{Shape: append([]int{len(samples)}, shape...)}
		per := t.Size() / len(samples)
		t.Data = make([]float32, 0, t.Size())
		for i, s := range samples {
			e, ok := s.Extra[name]
			if !ok || !slices.Equal(e.Shape, shape) || len(e.Data) != per {
				return fmt.Errorf("topdown: collate: sample %d extra %q missing or not of shape %v", i, name, shape)
			}
			t.Data = append(t.Data, e.Data...)
		}
		b.Extra[name] = t
	}
	return nil
}
