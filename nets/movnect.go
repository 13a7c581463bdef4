package nets

import (
	"fmt"

	"github.com/posedistill/posedistill/nets/layers"
)

// MoVNectOptions configures MoVNect.
type MoVNectOptions struct {
	Width  float64 // channel width multiplier of the MobileNetV2 trunk; 0 means 1
	Joints int     // 0 means 17
	// HeadChannels is the width of the depthwise-separable blocks at stride 16; the two upsampling
	// stages use half of it. 0 means 128.
	HeadChannels int
	// Locations adds the location-map head: X, Y and Z maps per joint (VNect's 3D output).
	Locations bool
	// Skips adds lateral connections to the upsampling head, as a feature pyramid (and MoveNet)
	// does: after each 2× upsampling, a 1×1 convolution of the trunk's stage output at that
	// resolution (stride 8, then 4) is added before the separable block. Without them the head
	// must rebuild joint positions at stride 4 from stride-16 features alone.
	Skips bool
}

// MoVNect returns the MoVNect student (Hwang et al., "Lightweight 3D human pose estimation network
// training using teacher-student learning", WACV 2020): MobileNetV2 truncated after its 96-channel
// stage (torchvision features 0–13, stride 16), two depthwise-separable blocks, then two stages of
// bilinear 2× upsampling + depthwise-separable block down to 1/4 of the input, and 1×1 heads for 2D
// heatmaps and, optionally, X/Y/Z location maps per joint.
//
// The paper's figure does not fix every channel count; HeadChannels sets them. Inputs must be
// multiples of 16.
func MoVNect(opt MoVNectOptions) (*Net, error) {
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
	if width < 0 || joints < 0 || headCh < 2 {
		return nil, fmt.Errorf("movnect: invalid options %+v", opt)
	}
	name := fmt.Sprintf("movnect-%gx", width)
	if opt.Skips {
		name += "-skips"
	}
	if opt.Locations {
		name += "-3d"
	}
	b := newBuilder(name, joints, 16)
	x := mobileNetV2Features(b, width, 5, false)
	x = b.separable("block_14", x, headCh, 1, layers.ReLU)
	x = b.separable("block_15", x, headCh, 1, layers.ReLU)
	if opt.Skips {
		// The outputs of MobileNetV2's stages 3 (stride 8) and 2 (stride 4): residual adds.
		x = lateralHead(b, x, headCh/2, []string{"features_6_add", "features_3_add"})
	} else {
		x = upsamplingHead(b, x, headCh/2, 2, false)
	}
	heads := Heads{Heatmaps: b.head("heatmaps", x, joints)}
	if opt.Locations {
		heads.Locations = b.head("locations", x, 3*joints)
	}
	return b.finish(heads)
}

// lateralHead appends, for each lateral input (finest last), a bilinear 2× upsampling, the sum
// with a 1×1 convolution (batch norm, linear) of the lateral input to the upsampled channels, and
// a depthwise-separable block to `channels` with ReLU.
func lateralHead(b *builder, x string, channels int, laterals []string) string {
	for i, lat := range laterals {
		name := fmt.Sprintf("head_%d", i)
		up := b.upsample(name+"_up", x, layers.Bilinear)
		l := b.conv(name+"_lateral", lat, b.ch[up], 1, 1, layers.Linear)
		sum := b.add(Layer{Name: name + "_sum", Op: OpAdd, Inputs: []string{up, l}})
		x = b.separable(name, sum, channels, 1, layers.ReLU)
	}
	return x
}
