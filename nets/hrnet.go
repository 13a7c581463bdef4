package nets

import (
	"fmt"

	"github.com/posedistill/posedistill/nets/layers"
)

// HRNetOptions configures HRNet.
type HRNetOptions struct {
	// Width is the channel count of the highest-resolution branch (32 for HRNet-W32, 16 for the
	// HRNet-W16 student of ODKD); branch k has Width·2^k channels. 0 means 32.
	Width  int
	Joints int // 0 means 17
	// Modules is the number of exchange modules in stages 2, 3 and 4; zero values mean HRNet's
	// {1, 4, 3}.
	Modules [3]int
	// Blocks is the number of basic blocks per branch in each module; 0 means 4.
	Blocks int
	// Mask adds a person segmentation head on the highest-resolution branch.
	Mask bool
}

// HRNet returns HRNet (Sun et al., "Deep high-resolution representation learning for human pose
// estimation", CVPR 2019) as MMPose configures it for top-down pose: a stem of two 3×3 stride-2
// convolutions (64 channels), four bottleneck blocks, then stages 2–4 with 2, 3 and 4 parallel branches
// (strides 4, 8, 16, 32) whose modules run basic blocks per branch and exchange information (1×1
// convolution + nearest upsampling from lower resolutions, strided 3×3 convolutions from higher ones,
// summed), and a 1×1 heatmap head on the stride-4 branch. Inputs must be multiples of 32.
func HRNet(opt HRNetOptions) (*Net, error) {
	width, joints, blocks, modules := opt.Width, opt.Joints, opt.Blocks, opt.Modules
	if width == 0 {
		width = 32
	}
	if joints == 0 {
		joints = 17
	}
	if blocks == 0 {
		blocks = 4
	}
	for i, def := range [3]int{1, 4, 3} {
		if modules[i] == 0 {
			modules[i] = def
		}
	}
	if width < 1 || joints < 1 || blocks < 1 || modules[0] < 1 || modules[1] < 1 || modules[2] < 1 {
		return nil, fmt.Errorf("hrnet: invalid options %+v", opt)
	}
	name := fmt.Sprintf("hrnet-w%d", width)
	if opt.Mask {
		name += "-mask"
	}
	b := newBuilder(name, joints, 32)
	x := b.conv("stem_conv1", Input, 64, 3, 2, layers.ReLU)
	x = b.conv("stem_conv2", x, 64, 3, 2, layers.ReLU)
	for i := range 4 {
		x = bottleneckBlock(b, fmt.Sprintf("layer1_%d", i), x, 64, 1)
	}
	branches := []string{x}
	for stage := 2; stage <= 4; stage++ {
		branches = hrTransition(b, fmt.Sprintf("transition%d", stage-1), branches, width, stage)
		for m := range modules[stage-2] {
			branches = hrModule(b, fmt.Sprintf("stage%d_%d", stage, m), branches, width, blocks, stage < 4 || m < modules[2]-1)
		}
	}
	heads := Heads{Heatmaps: b.head("heatmaps", branches[0], joints)}
	if opt.Mask {
		heads.Mask = b.head("mask", branches[0], 1)
	}
	return b.finish(heads)
}

// hrTransition adapts the branches of the previous stage to the `n` branches of the next: existing
// branches get a 3×3 convolution when their channel count changes, and the new lowest-resolution
// branch is a 3×3 stride-2 convolution of the previous lowest one.
func hrTransition(b *builder, name string, prev []string, width, n int) []string {
	out := make([]string, n)
	for i := range n {
		want := width << i
		switch {
		case i < len(prev) && b.ch[prev[i]] == want:
			out[i] = prev[i]
		case i < len(prev):
			out[i] = b.conv(fmt.Sprintf("%s_%d", name, i), prev[i], want, 3, 1, layers.ReLU)
		default:
			out[i] = b.conv(fmt.Sprintf("%s_%d", name, i), prev[len(prev)-1], want, 3, 2, layers.ReLU)
		}
	}
	return out
}

// hrModule appends one HRNet exchange module: `blocks` basic blocks on every branch, then the fusion
// that sums, into each output branch, every branch resampled to its resolution. The last module of
// the network only produces the highest-resolution output (multiScale false), as MMPose's pose HRNet.
func hrModule(b *builder, name string, in []string, width, blocks int, multiScale bool) []string {
	n := len(in)
	br := make([]string, n)
	for i, x := range in {
		for k := range blocks {
			x = basicBlock(b, fmt.Sprintf("%s_b%d_%d", name, i, k), x, width<<i, 1)
		}
		br[i] = x
	}
	outs := n
	if !multiScale {
		outs = 1
	}
	fused := make([]string, outs)
	for i := range outs {
		terms := make([]string, 0, n)
		for j := range n {
			terms = append(terms, hrResample(b, fmt.Sprintf("%s_fuse%d_%d", name, i, j), br[j], i, j, width))
		}
		if len(terms) == 1 {
			fused[i] = terms[0]
			continue
		}
		fused[i] = b.add(Layer{Name: fmt.Sprintf("%s_fuse%d", name, i), Op: OpAdd, Inputs: terms, Act: layers.ReLU})
	}
	return fused
}

// hrResample brings branch j to the resolution and channels of branch i.
func hrResample(b *builder, name, x string, i, j, width int) string {
	switch {
	case j == i:
		return x
	case j > i: // lower resolution: 1×1 conv to branch i's channels, then nearest 2^(j−i)× upsampling
		x = b.conv(name+"_conv", x, width<<i, 1, 1, layers.Linear)
		for k := range j - i {
			x = b.upsample(fmt.Sprintf("%s_up%d", name, k), x, layers.Nearest)
		}
		return x
	default: // higher resolution: i−j strided 3×3 convs; the last one maps to branch i's channels
		for k := range i - j {
			if k == i-j-1 {
				return b.conv(fmt.Sprintf("%s_down%d", name, k), x, width<<i, 3, 2, layers.Linear)
			}
			x = b.conv(fmt.Sprintf("%s_down%d", name, k), x, width<<j, 3, 2, layers.ReLU)
		}
		return x
	}
}
