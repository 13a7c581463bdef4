package blazepose

import "math"

// Anchor is an SSD anchor: centre and size, normalised to the detector input.
type Anchor struct {
	X, Y, W, H float64
}

// AnchorOptions configures SSD anchor generation as MediaPipe's SsdAnchorsCalculator does.
type AnchorOptions struct {
	InputSize                    int
	NumLayers                    int
	MinScale, MaxScale           float64
	Strides                      []int
	AspectRatios                 []float64
	InterpolatedScaleAspectRatio float64 // 0 disables the extra anchor per layer
	OffsetX, OffsetY             float64
	FixedAnchorSize              bool
}

// DetectorAnchors returns the anchor options of MediaPipe's pose_detection model (224×224
// input, 2254 anchors).
func DetectorAnchors() AnchorOptions {
	return AnchorOptions{
		InputSize: DetectorInputSize, NumLayers: 5, MinScale: 0.1484375, MaxScale: 0.75,
		Strides: []int{8, 16, 32, 32, 32}, AspectRatios: []float64{1}, InterpolatedScaleAspectRatio: 1,
		OffsetX: 0.5, OffsetY: 0.5, FixedAnchorSize: true,
	}
}

func anchorScale(min, max float64, i, n int) float64 {
	if n == 1 {
		return (min + max) / 2
	}
	return min + (max-min)*float64(i)/float64(n-1)
}

// Anchors generates the anchors: layers with the same stride share one feature map, whose cells
// (row-major) each carry every anchor of those layers.
func (o AnchorOptions) Anchors() []Anchor {
	var out []Anchor
	for layer := 0; layer < o.NumLayers && layer < len(o.Strides); {
		var ws, hs []float64
		last := layer
		for ; last < o.NumLayers && last < len(o.Strides) && o.Strides[last] == o.Strides[layer]; last++ {
			scale := anchorScale(o.MinScale, o.MaxScale, last, o.NumLayers)
			for _, ar := range o.AspectRatios {
				ws = append(ws, scale*math.Sqrt(ar))
				hs = append(hs, scale/math.Sqrt(ar))
			}
			if o.InterpolatedScaleAspectRatio > 0 {
				next := 1.0
				if last != o.NumLayers-1 {
					next = anchorScale(o.MinScale, o.MaxScale, last+1, o.NumLayers)
				}
				s := math.Sqrt(scale * next)
				ar := o.InterpolatedScaleAspectRatio
				ws = append(ws, s*math.Sqrt(ar))
				hs = append(hs, s/math.Sqrt(ar))
			}
		}
		stride := o.Strides[layer]
		fm := (o.InputSize + stride - 1) / stride
		for y := 0; y < fm; y++ {
			for x := 0; x < fm; x++ {
				for k := range ws {
					a := Anchor{X: (float64(x) + o.OffsetX) / float64(fm), Y: (float64(y) + o.OffsetY) / float64(fm), W: ws[k], H: hs[k]}
					if o.FixedAnchorSize {
						a.W, a.H = 1, 1
					}
					out = append(out, a)
				}
			}
		}
		layer = last
	}
	return out
}
