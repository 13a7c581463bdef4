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

// Batch is N samples stacked along a new leading axis.
type Batch struct {
	// Epoch and Step locate the batch in the loader's sequence (Step counts within the epoch).
	Epoch, Step int
	// Images is [N, InputH, InputW, 3].
	Images Tensor
	// Heatmaps is [N, HeatH, HeatW, K]; Weights is [N, K].
	Heatmaps, Weights Tensor
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

// Collate stacks samples built with cfg into a batch.
func (cfg *Config) Collate(samples []*Sample) (*Batch, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := len(samples)
	if n == 0 {
		return nil, fmt.Errorf("topdown: collate: no samples")
	}
	for i, s := range samples {
		if s == nil {
			return nil, fmt.Errorf("topdown: collate: sample %d is nil", i)
		}
	}
	b := &Batch{
		ToImage: make([]Affine, n), ImageIDs: make([]int64, n),
		AnnotationIDs: make([]int64, n), Flipped: make([]bool, n),
	}
	for i, s := range samples {
		b.ToImage[i], b.ImageIDs[i], b.AnnotationIDs[i], b.Flipped[i] = s.ToImage, s.ImageID, s.AnnotationID, s.Flipped
	}
	s0 := samples[0]
	c := cfg.Codec
	k := cfg.Joints.NumJoints()
	hh, hw := c.HeatH, c.HeatW
	var err error
	stack := func(name string, get func(*Sample) []float32, shape ...int) Tensor {
		if err != nil {
			return Tensor{}
		}
		var t Tensor
		t, err = stackField(name, samples, get, shape)
		return t
	}
	b.Images = stack("image", func(s *Sample) []float32 { return s.Image }, c.InputH, c.InputW, 3)
	b.Heatmaps = stack("heatmaps", func(s *Sample) []float32 { return s.Heatmaps }, hh, hw, k)
	b.Weights = stack("weights", func(s *Sample) []float32 { return s.Weights }, k)
	if cfg.Joints3D != nil {
		j := cfg.Joints3D.NumJoints()
		b.LocationMaps = stack("location maps", func(s *Sample) []float32 { return s.LocationMaps }, hh, hw, 3*j)
		b.LocationWeights = stack("location weights", func(s *Sample) []float32 { return s.LocationWeights }, j)
	}
	if cfg.Mask {
		b.Masks = stack("mask", func(s *Sample) []float32 { return s.Mask }, hh, hw, 1)
		b.MaskWeights = stack("mask weight", func(s *Sample) []float32 { return []float32{s.MaskWeight} })
	}
	if err != nil {
		return nil, err
	}
	if len(s0.Extra) > 0 {
		b.Extra = make(map[string]Tensor, len(s0.Extra))
		names := make([]string, 0, len(s0.Extra))
		for name := range s0.Extra {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			shape := s0.Extra[name].Shape
			t, err := stackField("extra "+name, samples, func(s *Sample) []float32 {
				e, ok := s.Extra[name]
				if !ok || !slices.Equal(e.Shape, shape) {
					return nil
				}
				return e.Data
			}, shape)
			if err != nil {
				return nil, err
			}
			b.Extra[name] = t
		}
	}
	return b, nil
}

// stackField concatenates one field of every sample; each must hold exactly prod(shape) values.
func stackField(name string, samples []*Sample, get func(*Sample) []float32, shape []int) (Tensor, error) {
	per := 1
	for _, d := range shape {
		per *= d
	}
	t := Tensor{Shape: append([]int{len(samples)}, shape...), Data: make([]float32, 0, per*len(samples))}
	for i, s := range samples {
		v := get(s)
		if len(v) != per {
			return Tensor{}, fmt.Errorf("topdown: collate: sample %d %s has %d values, want %d", i, name, len(v), per)
		}
		t.Data = append(t.Data, v...)
	}
	return t, nil
}
