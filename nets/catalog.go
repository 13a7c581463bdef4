package nets

import (
	"fmt"
	"strings"
)

// Entry is a named, ready-made architecture configuration.
type Entry struct {
	Name    string
	Role    string // "student" or "teacher"
	Summary string
	New     func() (*Net, error)
}

// Catalog returns the standard configurations, students first, for 17 COCO joints.
func Catalog() []Entry {
	return []Entry{
		{"mobilenetv2", "student", "MobileNetV2 1.0 + light bilinear/separable head",
			func() (*Net, error) { return MobileNetV2Pose(MobileNetV2Options{}) }},
		{"mobilenetv2-0.5", "student", "MobileNetV2 0.5 + light head (64 ch)",
			func() (*Net, error) { return MobileNetV2Pose(MobileNetV2Options{Width: 0.5, HeadChannels: 64}) }},
		{"mobilenetv2-deconv", "student", "MobileNetV2 1.0 + SimpleBaseline deconv head (MMPose)",
			func() (*Net, error) {
				return MobileNetV2Pose(MobileNetV2Options{DeconvHead: true, HeadChannels: 256})
			}},
		{"movnect", "student", "MoVNect: MobileNetV2 to stride 16 + separable blocks, 2D heatmaps",
			func() (*Net, error) { return MoVNect(MoVNectOptions{}) }},
		{"movnect-3d", "student", "MoVNect with X/Y/Z location maps",
			func() (*Net, error) { return MoVNect(MoVNectOptions{Locations: true}) }},
		{"hrnet-w16", "student", "HRNet-W16: 4 parallel branches, 16-128 channels (ODKD's student)",
			func() (*Net, error) { return HRNet(HRNetOptions{Width: 16}) }},
		{"simplebaseline-res18", "teacher", "SimpleBaseline ResNet-18 + 3 deconvs",
			func() (*Net, error) { return SimpleBaseline(SimpleBaselineOptions{Depth: 18}) }},
		{"simplebaseline-res34", "teacher", "SimpleBaseline ResNet-34 + 3 deconvs",
			func() (*Net, error) { return SimpleBaseline(SimpleBaselineOptions{Depth: 34}) }},
		{"simplebaseline-res50", "teacher", "SimpleBaseline ResNet-50 + 3 deconvs",
			func() (*Net, error) { return SimpleBaseline(SimpleBaselineOptions{Depth: 50}) }},
		{"simplebaseline-res50-mask", "teacher", "SimpleBaseline ResNet-50 + segmentation head",
			func() (*Net, error) { return SimpleBaseline(SimpleBaselineOptions{Depth: 50, Mask: true}) }},
		{"hrnet-w32", "teacher", "HRNet-W32",
			func() (*Net, error) { return HRNet(HRNetOptions{Width: 32}) }},
		{"hrnet-w32-mask", "teacher", "HRNet-W32 + segmentation head",
			func() (*Net, error) { return HRNet(HRNetOptions{Width: 32, Mask: true}) }},
	}
}

// ByName builds the catalog configuration with the given name.
func ByName(name string) (*Net, error) {
	names := make([]string, 0, len(Catalog()))
	for _, e := range Catalog() {
		if e.Name == name {
			return e.New()
		}
		names = append(names, e.Name)
	}
	return nil, fmt.Errorf("unknown architecture %q (known: %s)", name, strings.Join(names, ", "))
}
