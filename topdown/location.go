package topdown

import (
	"fmt"
	"slices"
)

// locationTargets fills the sample's location maps from the annotation's 3D joints: each joint's
// 3D position relative to the root, turned by the crop's rotation and mirrored by its flip
// (camera X right and Y down follow the image axes), written at the joint's 2D position in the
// crop. The 2D positions are the camera projections of the 3D joints when the image has a
// camera, else the annotation's keypoints (then the 3D set must be the 2D set). An instance
// without 3D joints gets zero maps and weights.
func (cfg *Config) locationTargets(s *Sample, inst Instance, m Affine, flip bool) error {
	c := cfg.Codec
	j3 := cfg.Joints3D.NumJoints()
	s.LocationMaps = buffer(s.LocationMaps, c.NumHeatPixels()*3*j3)
	s.LocationWeights = buffer(s.LocationWeights, j3)
	ann := &inst.Annotation
	if len(ann.Joints3D) == 0 {
		clear(s.LocationMaps)
		clear(s.LocationWeights)
		return nil
	}
	if len(ann.Joints3D) != 3*j3 {
		return fmt.Errorf("%d 3D joint values, want 3×%d for %s", len(ann.Joints3D), j3, cfg.Joints3D.Name)
	}
	cam := inst.Image.Camera
	same := slices.Equal(cfg.Joints3D.Joints, cfg.Joints.Joints)
	if cam == nil && !same {
		return fmt.Errorf("3D joints of %s need a camera to place them in a %s image", cfg.Joints3D.Name, cfg.Joints.Name)
	}
	// 2D positions in image pixels, with visibility.
	img2d := make([]float64, 3*j3)
	for j := 0; j < j3; j++ {
		x, y, z := ann.Joints3D[3*j], ann.Joints3D[3*j+1], ann.Joints3D[3*j+2]
		v := 2.0
		if same {
			v = ann.Keypoints[3*j+2]
		}
		if cam != nil {
			if !(z > 0) {
				v = 0
			} else {
				img2d[3*j], img2d[3*j+1] = cam.Fx*x/z+cam.Cx, cam.Fy*y/z+cam.Cy
			}
		} else {
			img2d[3*j], img2d[3*j+1] = ann.Keypoints[3*j], ann.Keypoints[3*j+1]
		}
		img2d[3*j+2] = v
	}
	kps := transformKeypoints(img2d, m, flip, cfg.Joints3D.FlipIndex())
	o := m.Orientation()
	r := cfg.Root3D
	rel := make([][3]float64, j3)
	for j := range rel {
		dx := ann.Joints3D[3*j] - ann.Joints3D[3*r]
		dy := ann.Joints3D[3*j+1] - ann.Joints3D[3*r+1]
		dz := ann.Joints3D[3*j+2] - ann.Joints3D[3*r+2]
		rel[j] = [3]float64{o[0][0]*dx + o[0][1]*dy, o[1][0]*dx + o[1][1]*dy, dz}
	}
	if flip {
		// The flip swaps left and right, and so the root when it has a partner (COCO's left hip):
		// the targets are re-rooted at the joint that is the root after the swap, so that every
		// sample's maps are relative to the same joint of the image.
		fi := cfg.Joints3D.FlipIndex()
		swapped := make([][3]float64, j3)
		for j, fj := range fi {
			swapped[j] = rel[fj]
		}
		root := swapped[r]
		for j := range swapped {
			for a := range 3 {
				swapped[j][a] -= root[a]
			}
		}
		rel = swapped
	}
	return c.EncodeLocations(kps, rel, s.LocationMaps, s.LocationWeights)
}
