// Package codec owns posedistill's heatmap convention: how keypoints in a network's input crop
// become gaussian heatmap targets, per-joint weights, VNect-style location maps and mask targets,
// and how heatmaps (of a trained network or of a teacher) are decoded back to keypoints.
//
// Training targets, teacher outputs, decoding and evaluation must all use the same Codec: the
// mapping between input pixels and heatmap pixels differs between the MSRA convention
// (scale input/heatmap) and UDP's unbiased one (scale (input-1)/(heatmap-1)).
//
// Heatmaps are channel-last, like every feature map in posedistill: a [h, w, K] heatmap stores
// joint k at pixel (x, y) in element (y*w+x)*K+k; a batch is [N, h, w, K].
package codec

import (
	"fmt"
	"math"
)

// Kind selects the encoding convention of a Codec.
type Kind int

const (
	// MSRA is SimpleBaseline's convention: heatmap = input / (input/heatmap), gaussian centred on
	// the nearest heatmap pixel, decoded by argmax and a quarter-pixel shift towards the higher
	// neighbour.
	MSRA Kind = iota
	// Unbiased is DARK's convention: MSRA's scaling with the gaussian centred at the exact
	// sub-pixel position, decoded by a Taylor expansion of the blurred log heatmap.
	Unbiased
	// UDP is Unbiased Data Processing: heatmap = input·(heatmap-1)/(input-1), gaussian centred at
	// the sub-pixel position, decoded like Unbiased. Its crops use the UDP warp matrix.
	UDP
	// Integral is integral regression (Sun et al., "Integral Human Pose Regression"; DSNT): the
	// network's maps are logits whose spatial softmax is a probability map, and a joint is its
	// expectation (soft-argmax), trained by an L1 loss on the coordinates (train.IntegralL1). It
	// is continuous, so its precision does not depend on the map's resolution. UDP's scaling,
	// targets and warp; decoded by soft-argmax.
	Integral
	// MoveNet is MoveNet's convention (Google's MoveNet, a CenterNet-style model): MSRA's scaling
	// and gaussian heatmap targets, plus an offset head (nets.Heads.Offsets) that gives, at every
	// heatmap cell, each joint's position relative to the cell. A joint decodes as its heatmap's
	// arg-max cell plus that cell's offset (DecodeOffsets), so its precision does not depend on the
	// heatmap's resolution; offsets train on the cells near each joint (OffsetTargets). Decoded
	// from heatmaps alone (Decode), it falls back to MSRA's decoding.
	MoveNet
)

// String returns the kind's lower-case name.
func (k Kind) String() string {
	switch k {
	case MSRA:
		return "msra"
	case Unbiased:
		return "unbiased"
	case UDP:
		return "udp"
	case Integral:
		return "integral"
	case MoveNet:
		return "movenet"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// ParseKind returns the Kind named s ("msra", "unbiased" or "dark", "udp", "integral", "movenet").
func ParseKind(s string) (Kind, error) {
	switch s {
	case "msra":
		return MSRA, nil
	case "unbiased", "dark":
		return Unbiased, nil
	case "udp":
		return UDP, nil
	case "integral":
		return Integral, nil
	case "movenet":
		return MoveNet, nil
	}
	return 0, fmt.Errorf("codec: unknown kind %q (want msra, unbiased, udp, integral or movenet)", s)
}

// Refinement selects how Decode refines the integer argmax of a heatmap.
type Refinement int

const (
	// RefineDefault uses the kind's own refinement: Quarter for MSRA (and MoveNet's heatmaps
	// alone), DARK for Unbiased and UDP.
	RefineDefault Refinement = iota
	// RefineNone keeps the integer argmax.
	RefineNone
	// RefineQuarter shifts the argmax by a quarter pixel towards the higher neighbour, per axis.
	RefineQuarter
	// RefineDARK applies one Newton step on the gaussian-blurred log heatmap (DARK).
	RefineDARK
)

// Codec encodes keypoints into heatmap targets and decodes heatmaps into keypoints. Its fields are
// read-only after New; a Codec is safe for concurrent use.
type Codec struct {
	// Kind is the encoding convention.
	Kind Kind
	// InputW, InputH are the network input size in pixels (e.g. 192×256).
	InputW, InputH int
	// HeatW, HeatH are the heatmap size in pixels (e.g. 48×64).
	HeatW, HeatH int
	// Sigma is the gaussian's standard deviation in heatmap pixels (2 for 64×48 heatmaps).
	Sigma float64
	// Refine is the decoding refinement (RefineDefault picks the kind's own).
	Refine Refinement
	// BlurKernel is the size of the gaussian blur before DARK refinement (odd; 0 means 11, MMPose's
	// default for 64×48 heatmaps; 1 means no blur).
	BlurKernel int
}

// New returns a validated Codec for an input of inW×inH pixels and heatmaps of hw×hh pixels.
func New(kind Kind, inW, inH, hw, hh int, sigma float64) (*Codec, error) {
	c := &Codec{Kind: kind, InputW: inW, InputH: inH, HeatW: hw, HeatH: hh, Sigma: sigma}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate reports whether the codec's fields are usable.
func (c *Codec) Validate() error {
	switch {
	case c == nil:
		return fmt.Errorf("codec: nil codec")
	case c.Kind < MSRA || c.Kind > MoveNet:
		return fmt.Errorf("codec: unknown kind %d", int(c.Kind))
	case c.InputW < 2 || c.InputH < 2 || c.HeatW < 2 || c.HeatH < 2:
		return fmt.Errorf("codec: sizes input %dx%d heatmap %dx%d must be at least 2x2",
			c.InputW, c.InputH, c.HeatW, c.HeatH)
	case c.HeatW > c.InputW || c.HeatH > c.InputH:
		return fmt.Errorf("codec: heatmap %dx%d larger than input %dx%d", c.HeatW, c.HeatH, c.InputW, c.InputH)
	case !(c.Sigma > 0) || math.IsInf(c.Sigma, 0):
		return fmt.Errorf("codec: sigma %v must be positive", c.Sigma)
	case c.Refine < RefineDefault || c.Refine > RefineDARK:
		return fmt.Errorf("codec: unknown refinement %d", int(c.Refine))
	case c.BlurKernel < 0 || (c.BlurKernel > 0 && c.BlurKernel%2 == 0):
		return fmt.Errorf("codec: blur kernel %d must be odd", c.BlurKernel)
	}
	return nil
}

// msraTargets reports whether the codec centres its gaussians on the nearest heatmap pixel and
// refines by a quarter pixel: MSRA and MoveNet.
func (c *Codec) msraTargets() bool { return c.Kind == MSRA || c.Kind == MoveNet }

// NumHeatPixels returns HeatW·HeatH.
func (c *Codec) NumHeatPixels() int { return c.HeatW * c.HeatH }

// UDPScale reports whether the codec maps input to heatmap pixels by UDP's (size-1) ratio, and
// crops with UDP's warp matrix: UDP and Integral do, MSRA and Unbiased do not.
func (c *Codec) UDPScale() bool { return c.Kind == UDP || c.Kind == Integral }

// scale returns the input-pixels-per-heatmap-pixel factors of the codec's convention.
func (c *Codec) scale() (sx, sy float64) {
	if c.UDPScale() {
		return float64(c.InputW-1) / float64(c.HeatW-1), float64(c.InputH-1) / float64(c.HeatH-1)
	}
	return float64(c.InputW) / float64(c.HeatW), float64(c.InputH) / float64(c.HeatH)
}

// InputToHeatmap maps a point in input-crop pixels to heatmap pixels.
func (c *Codec) InputToHeatmap(x, y float64) (hx, hy float64) {
	sx, sy := c.scale()
	return x / sx, y / sy
}

// InputPerHeatPixel returns how many input pixels one heatmap pixel spans, per axis, in the
// codec's convention (HeatmapToInput's factors).
func (c *Codec) InputPerHeatPixel() (sx, sy float64) { return c.scale() }

// HeatmapToInput maps a point in heatmap pixels to input-crop pixels.
func (c *Codec) HeatmapToInput(hx, hy float64) (x, y float64) {
	sx, sy := c.scale()
	return hx * sx, hy * sy
}

// refinement resolves RefineDefault.
func (c *Codec) refinement() Refinement {
	if c.Refine != RefineDefault {
		return c.Refine
	}
	if c.msraTargets() {
		return RefineQuarter
	}
	return RefineDARK
}

// blurKernel resolves the default blur kernel size.
func (c *Codec) blurKernel() int {
	if c.BlurKernel > 0 {
		return c.BlurKernel
	}
	return 11
}

// Keypoint is a 2D keypoint in input-crop pixels with COCO's visibility (0 not labelled,
// 1 labelled but occluded, 2 visible).
type Keypoint struct {
	X, Y float64
	V    float64
}
