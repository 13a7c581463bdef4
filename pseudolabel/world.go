package pseudolabel

import (
	"fmt"

	"github.com/posedistill/posedistill/skeleton"
)

// worldJoints3D turns a BlazePose person's world landmarks (the 33 landmarks first, [x, y, z]
// in metres, origin between the hips, x right and y down as the image's axes) into an
// annotation's Joints3D: the H36MFace joints (the 3D set of posedistill's datasets, which
// train.ReadSplit3D maps onto COCO-17) in millimetres. Joints of the same name are copied; the
// Human3.6M joints BlazePose lacks are derived: pelvis between the hips, thorax between the
// shoulders, spine between the two, neck between the thorax and the ears' midpoint, head top
// half that distance again above the ears. The derived ones are not COCO-17 joints, so the
// location maps a student learns from never use them. MediaPipe turns the world landmarks by
// the ROI's rotation; they are taken as the model gives them (upright people: no rotation).
func worldJoints3D(world [][3]float64) ([]float64, error) {
	bp := skeleton.BlazePose33()
	if len(world) < bp.NumJoints() {
		return nil, fmt.Errorf("world landmarks: %d points, want %d", len(world), bp.NumJoints())
	}
	at := func(name string) [3]float64 {
		p := world[bp.Index(name)]
		return [3]float64{p[0] * 1000, p[1] * 1000, p[2] * 1000}
	}
	mid := func(a, b [3]float64, t float64) [3]float64 {
		return [3]float64{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1]), a[2] + t*(b[2]-a[2])}
	}
	pelvis := mid(at("left_hip"), at("right_hip"), 0.5)
	thorax := mid(at("left_shoulder"), at("right_shoulder"), 0.5)
	ears := mid(at("left_ear"), at("right_ear"), 0.5)
	derived := map[string][3]float64{
		"pelvis": pelvis, "thorax": thorax, "spine": mid(pelvis, thorax, 0.5),
		"neck": mid(thorax, ears, 0.5), "head_top": mid(thorax, ears, 1.5),
	}
	set := skeleton.H36MFace()
	out := make([]float64, 0, 3*set.NumJoints())
	for _, name := range set.Joints {
		p, ok := derived[name]
		if !ok {
			if bp.Index(name) < 0 {
				return nil, fmt.Errorf("world landmarks: BlazePose has no %s", name)
			}
			p = at(name)
		}
		out = append(out, p[0], p[1], p[2])
	}
	return out, nil
}
