package nets

import (
	"fmt"

	"github.com/posedistill/posedistill/nets/layers"
)

// SimpleBaselineOptions configures SimpleBaseline.
type SimpleBaselineOptions struct {
	Depth  int     // ResNet depth: 18, 34, 50, 101 or 152; 0 means 50
	Width  float64 // channel width multiplier of the ResNet; 0 means 1
	Joints int     // 0 means 17
	// HeadChannels is the width of the three transposed convolutions; 0 means 256.
	HeadChannels int
	// Mask adds a person segmentation head (1×1 convolution to one logit map), for teachers that also
	// teach the mask (ODKD's senior teacher).
	Mask bool
}

// resNetStages lists, per ResNet depth, whether it uses bottleneck blocks and the blocks per stage.
var resNetStages = map[int]struct {
	bottleneck bool
	blocks     [4]int
}{
	18: {false, [4]int{2, 2, 2, 2}}, 34: {false, [4]int{3, 4, 6, 3}},
	50: {true, [4]int{3, 4, 6, 3}}, 101: {true, [4]int{3, 4, 23, 3}}, 152: {true, [4]int{3, 8, 36, 3}},
}

// SimpleBaseline returns the SimpleBaseline teacher (Xiao et al., "Simple baselines for human pose
// estimation and tracking", ECCV 2018): a ResNet (torchvision v1.5 layout, stride on the 3×3
// convolution) without its classifier, three 4×4 stride-2 transposed convolutions with batch norm and
// ReLU, and a 1×1 heatmap head at 1/4 of the input; optionally a segmentation head. Inputs must be
// multiples of 32.
func SimpleBaseline(opt SimpleBaselineOptions) (*Net, error) {
	depth, width, joints, headCh := opt.Depth, opt.Width, opt.Joints, opt.HeadChannels
	if depth == 0 {
		depth = 50
	}
	if width == 0 {
		width = 1
	}
	if joints == 0 {
		joints = 17
	}
	if headCh == 0 {
		headCh = 256
	}
	arch, ok := resNetStages[depth]
	if !ok {
		return nil, fmt.Errorf("simplebaseline: unsupported ResNet depth %d (want 18, 34, 50, 101 or 152)", depth)
	}
	if width < 0 || joints < 0 || headCh < 0 {
		return nil, fmt.Errorf("simplebaseline: negative option in %+v", opt)
	}
	name := fmt.Sprintf("simplebaseline-res%d", depth)
	if width != 1 {
		name += fmt.Sprintf("-%gx", width)
	}
	if opt.Mask {
		name += "-mask"
	}
	b := newBuilder(name, joints, 32)
	base := makeDivisible(64*width, 8)
	x := b.conv("conv1", Input, base, 7, 2, layers.ReLU)
	x = b.add(Layer{Name: "maxpool", Op: OpMaxPool, Inputs: []string{x}, Kernel: 3, Stride: 2})
	for stage, n := range arch.blocks {
		planes := base << stage
		for i := range n {
			stride := 1
			if i == 0 && stage > 0 {
				stride = 2
			}
			name := fmt.Sprintf("layer%d_%d", stage+1, i)
			if arch.bottleneck {
				x = bottleneckBlock(b, name, x, planes, stride)
			} else {
				x = basicBlock(b, name, x, planes, stride)
			}
		}
	}
	x = upsamplingHead(b, x, headCh, 3, true)
	heads := Heads{Heatmaps: b.head("heatmaps", x, joints)}
	if opt.Mask {
		heads.Mask = b.head("mask", x, 1)
	}
	return b.finish(heads)
}

// shortcut returns x, or a 1×1 strided convolution with batch norm when the shape changes.
func shortcut(b *builder, name, x string, out, stride int) string {
	if stride == 1 && b.ch[x] == out {
		return x
	}
	return b.conv(name+"_downsample", x, out, 1, stride, layers.Linear)
}

// basicBlock appends ResNet's two-3×3 block with its residual add and ReLU.
func basicBlock(b *builder, name, x string, planes, stride int) string {
	h := b.conv(name+"_conv1", x, planes, 3, stride, layers.ReLU)
	h = b.conv(name+"_conv2", h, planes, 3, 1, layers.Linear)
	sc := shortcut(b, name, x, planes, stride)
	return b.add(Layer{Name: name + "_add", Op: OpAdd, Inputs: []string{sc, h}, Act: layers.ReLU})
}

// bottleneckBlock appends ResNet's 1×1 → 3×3 (stride) → 1×1 (4× planes) block with its residual add
// and ReLU.
func bottleneckBlock(b *builder, name, x string, planes, stride int) string {
	h := b.conv(name+"_conv1", x, planes, 1, 1, layers.ReLU)
	h = b.conv(name+"_conv2", h, planes, 3, stride, layers.ReLU)
	h = b.conv(name+"_conv3", h, 4*planes, 1, 1, layers.Linear)
	sc := shortcut(b, name, x, 4*planes, stride)
	return b.add(Layer{Name: name + "_add", Op: OpAdd, Inputs: []string{sc, h}, Act: layers.ReLU})
}
