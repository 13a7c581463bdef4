package train

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/topdown"
)

// Net builds the configured architecture for the COCO-17 keypoints, or reads the configured
// network description file.
func (c *Config) Net() (*nets.Net, error) {
	m := c.Model
	joints := skeleton.COCO17().NumJoints()
	if m.File != "" {
		if m.Width != 0 || m.HeadChannels != 0 || m.Depth != 0 || m.DeconvHead || m.Skips {
			return nil, fmt.Errorf("a network description file (%s) takes no options", m.File)
		}
		return readNetFile(m.File)
	}
	switch m.Arch {
	case "mobilenetv2":
		return nets.MobileNetV2Pose(nets.MobileNetV2Options{Width: m.Width, Joints: joints, HeadChannels: m.HeadChannels, DeconvHead: m.DeconvHead})
	case "movnect":
		return nets.MoVNect(nets.MoVNectOptions{Width: m.Width, Joints: joints, HeadChannels: m.HeadChannels, Skips: m.Skips})
	case "simplebaseline":
		return nets.SimpleBaseline(nets.SimpleBaselineOptions{Depth: m.Depth, Width: m.Width, Joints: joints, HeadChannels: m.HeadChannels})
	}
	if m.Skips {
		return nil, fmt.Errorf("skips is an option of movnect, not of %q", m.Arch)
	}
	if m.Width != 0 || m.HeadChannels != 0 || m.Depth != 0 || m.DeconvHead {
		return nil, fmt.Errorf("catalog architecture %q takes no options", m.Arch)
	}
	return nets.ByName(m.Arch)
}

// NewCodec returns the configured heatmap codec (heatmaps a quarter of the input).
func (c *Config) NewCodec() (*codec.Codec, error) {
	kind, err := codec.ParseKind(c.Codec)
	if err != nil {
		return nil, err
	}
	return codec.New(kind, c.InputW, c.InputH, c.InputW/4, c.InputH/4, c.Sigma)
}

// SampleConfig returns the top-down sample configuration; training adds the augmentation and
// c.Targets.
func (c *Config) SampleConfig(training bool) (topdown.Config, error) {
	var t TargetsConfig
	if training {
		t = c.Targets
	}
	return c.SampleConfigWith(training, t)
}

// SampleConfigWith returns the top-down sample configuration with the targets t; training adds
// the augmentation.
func (c *Config) SampleConfigWith(training bool, t TargetsConfig) (topdown.Config, error) {
	cd, err := c.NewCodec()
	if err != nil {
		return topdown.Config{}, err
	}
	sc := topdown.NewConfig(cd, skeleton.COCO17())
	sc.Mask = t.Masks
	sc.Pairs = codec.PairSeparation{MinRatio: c.PairSeparation}
	if t.Locations {
		sc.Joints3D = skeleton.COCO17()
		sc.Root3D = Root3D
	}
	if training {
		a := c.Augment
		aug := topdown.Augment{
			FlipProb:     a.FlipProb,
			HalfBodyProb: a.HalfBodyProb, HalfBodyMinJoints: 9, HalfBodyPadding: 1.5,
			ShiftProb: a.ShiftProb, ShiftFactor: a.ShiftFactor,
			RotateProb: a.RotateProb, RotateFactor: a.RotateDeg,
		}
		if a.ScaleMax > 0 {
			aug.ScaleProb, aug.ScaleMin, aug.ScaleMax = 1, a.ScaleMin, a.ScaleMax
		}
		sc.Augment = &aug
	}
	return sc, sc.Validate()
}

// readNetFile reads a network description (nets.Net as JSON) and validates it.
func readNetFile(path string) (*nets.Net, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("network description: %w", err)
	}
	var net nets.Net
	if err := json.Unmarshal(b, &net); err != nil {
		return nil, fmt.Errorf("network description %s: %w", path, err)
	}
	if len(net.Layers) == 0 {
		return nil, fmt.Errorf("network description %s: no layers", path)
	}
	m := max(1, net.InputMultiple)
	if _, err := net.Shapes(m, m); err != nil {
		return nil, fmt.Errorf("network description %s: %w", path, err)
	}
	return &net, nil
}
