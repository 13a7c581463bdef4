package nets

import (
	"fmt"

	"github.com/posedistill/posedistill/nets/layers"
)

// mobileNetV2Settings are MobileNetV2's inverted-residual stages: expansion t, channels c, repeats n,
// first stride s (Sandler et al. 2018, table 2).
var mobileNetV2Settings = [7][4]int{
	{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
}

// mobileNetV2Features appends MobileNetV2's feature extractor with the given width multiplier: the
// 3×3 stem and the first `stages` inverted-residual stages, plus the final 1×1 convolution to
// 1280·max(1, width) channels when all 7 stages are kept and withLast is set. Layer names follow
// torchvision's "features.i" numbering as "features_i_..." . It returns the last layer's name.
func mobileNetV2Features(b *builder, width float64, stages int, withLast bool) string {
	in := makeDivisible(32*width, 8)
	x := b.conv("features_0", Input, in, 3, 2, layers.ReLU6)
	block := 1
	for _, st := range mobileNetV2Settings[:stages] {
		t, c, n, s := st[0], st[1], st[2], st[3]
		out := makeDivisible(float64(c)*width, 8)
		for i := range n {
			stride := 1
			if i == 0 {
				stride = s
			}
			x = invertedResidual(b, fmt.Sprintf("features_%d", block), x, in*t, out, stride)
			in = out
			block++
		}
	}
	if withLast && stages == len(mobileNetV2Settings) {
		x = b.conv(fmt.Sprintf("features_%d", block), x, makeDivisible(1280*max(1, width), 8), 1, 1, layers.ReLU6)
	}
	return x
}

// invertedResidual appends MobileNetV2's block: 1×1 expansion to hidden (skipped when hidden equals
// the input), depthwise 3×3 with stride, linear 1×1 projection to out, and the residual add when the
// stride is 1 and the channels match.
func invertedResidual(b *builder, name, x string, hidden, out, stride int) string {
	in := b.ch[x]
	h := x
	if hidden != in {
		h = b.conv(name+"_expand", x, hidden, 1, 1, layers.ReLU6)
	}
	h = b.dw(name+"_dw", h, 3, stride, layers.ReLU6)
	h = b.conv(name+"_project", h, out, 1, 1, layers.Linear)
	if stride == 1 && in == out {
		h = b.add(Layer{Name: name + "_add", Op: OpAdd, Inputs: []string{x, h}})
	}
	return h
}

// MobileNetV2Options configures MobileNetV2Pose.
type MobileNetV2Options struct {
	Width  float64 // channel width multiplier; 0 means 1
	Joints int     // heatmap channels; 0 means 17 (COCO)
	// HeadChannels is the width of the upsampling head; 0 means 128.
	HeadChannels int
	// DeconvHead selects SimpleBaseline's head (three 4×4 transposed convolutions with batch norm and
	// ReLU, as MMPose's MobileNetV2 baseline) instead of the default light head (three bilinear 2×
	// upsamplings, each followed by a depthwise-separable block).
	DeconvHead bool
}

// MobileNetV2Pose returns a MobileNetV2 student: torchvision's MobileNetV2 feature extractor (stride
// 32, last 1×1 convolution included) and a head that upsamples 8× to heatmaps at 1/4 of the input.
// Inputs must be multiples of 32.
func MobileNetV2Pose(opt MobileNetV2Options) (*Net, error) {
	width, joints, headCh := opt.Width, opt.Joints, opt.HeadChannels
	if width == 0 {
		width = 1
	}
	if joints == 0 {
		joints = 17
	}
	if headCh == 0 {
		headCh = 128
	}
	if width < 0 || joints < 0 || headCh < 0 {
		return nil, fmt.Errorf("mobilenetv2: negative option in %+v", opt)
	}
	name := fmt.Sprintf("mobilenetv2-%gx", width)
	if opt.DeconvHead {
		name += "-deconv"
	}
	b := newBuilder(name, joints, 32)
	x := mobileNetV2Features(b, width, len(mobileNetV2Settings), true)
	x = upsamplingHead(b, x, headCh, 3, opt.DeconvHead)
	return b.finish(Heads{Heatmaps: b.head("heatmaps", x, joints)})
}

// upsamplingHead appends `steps` 2× upsampling stages of `channels` channels: 4×4 transposed
// convolutions with batch norm and ReLU (deconv), or bilinear upsampling followed by a
// depthwise-separable block with ReLU.
func upsamplingHead(b *builder, x string, channels, steps int, deconv bool) string {
	for i := range steps {
		name := fmt.Sprintf("head_%d", i)
		if deconv {
			x = b.add(Layer{Name: name + "_deconv", Op: OpDeconv, Inputs: []string{x}, Out: channels, BN: true, Act: layers.ReLU})
			continue
		}
		x = b.upsample(name+"_up", x, layers.Bilinear)
		x = b.separable(name, x, channels, 1, layers.ReLU)
	}
	return x
}
