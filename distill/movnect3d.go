package distill

import (
	"fmt"

	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/train"
)

// Net3D returns the network of a configuration with a location-map head: MoVNect (arch movnect)
// with Locations set, for the COCO-17 joints, or the configuration's network file when it has
// location maps (a MoVNect grafted with them).
func Net3D(cfg train.Config) (*nets.Net, error) {
	if cfg.Model.File != "" {
		net, err := cfg.Net()
		if err != nil {
			return nil, fmt.Errorf("3D network: %w", err)
		}
		if net.Heads.Locations == "" {
			return nil, fmt.Errorf("3D network %s has no location-map head (models graft --locations gives one)", cfg.Model.File)
		}
		return net, nil
	}
	if cfg.Model.Arch != "movnect" {
		return nil, fmt.Errorf("3D network: arch %q, want movnect (or a network file with location maps)", cfg.Model.Arch)
	}
	return nets.MoVNect(nets.MoVNectOptions{Width: cfg.Model.Width, HeadChannels: cfg.Model.HeadChannels, Joints: skeleton.COCO17().NumJoints(), Locations: true, Skips: cfg.Model.Skips})
}

// Terms3D returns MoVNect's 3D student loss: the heatmap blend (α GT, 1−α teacher), the
// location-map loss against the GT (α) and teacher (1−α) maps, both masked by the GT heatmaps and
// multiplied by p.LocationWeight, the bone-length loss with weight p.BoneWeight, and, when
// p.JointWeight > 0, the joint-level location term LocationJointL1 against the GT. An empty
// teacher gives the GT-only loss (the teacher terms are left out, the GT terms weighted 1); a 2D
// teacher (p.TeacherIs2D, one without location maps) teaches the heatmaps only, and the location
// maps learn from the GT alone.
func Terms3D(teacher string, alpha train.Schedule, p Pose3DTerms) []train.Term {
	bones := skeleton.COCO17().Bones
	lw := p.LocationWeight
	if lw == 0 {
		lw = 1
	}
	scaled := func(s train.Schedule) train.Schedule {
		return func(step int) float64 { return lw * s(step) }
	}
	common := []train.Term{BoneLength("bone_length", bones, train.Constant(p.BoneWeight))}
	if p.JointWeight > 0 {
		common = append(common, LocationJointL1("location_joint_gt", train.Constant(p.JointWeight)))
	}
	if teacher == "" {
		return append([]train.Term{
			train.HeatmapMSE("heatmap_gt", nil),
			LocationMapMSE("location_gt", train.TensorLocationMaps, train.Constant(lw)),
		}, common...)
	}
	if alpha == nil {
		alpha = train.Constant(0.5)
	}
	teach := func(step int) float64 { return 1 - alpha(step) }
	if p.TeacherIs2D {
		return append([]train.Term{
			train.HeatmapMSE("heatmap_gt", alpha),
			train.TeacherHeatmapMSE("heatmap_"+teacher, teacher+SuffixHeatmaps, teach),
			LocationMapMSE("location_gt", train.TensorLocationMaps, train.Constant(lw)),
		}, common...)
	}
	return append([]train.Term{
		train.HeatmapMSE("heatmap_gt", alpha),
		train.TeacherHeatmapMSE("heatmap_"+teacher, teacher+SuffixHeatmaps, teach),
		LocationMapMSE("location_gt", train.TensorLocationMaps, scaled(alpha)),
		LocationMapMSE("location_"+teacher, train.ExtraPrefix+teacher+SuffixLocations, scaled(teach)),
	}, common...)
}
