package synth

import (
	"math"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
)

// jointTolerances returns, per joint, how far (mm) in front of the joint the first surface along
// the ray may lie for the joint to count as visible: about the thickness of the part around it.
func jointTolerances(s *shape, a *appearance) [numJoints]float64 {
	var t [numJoints]float64
	limb := func(r float64) float64 { return 1.3*r + s.radiusScale(20) }
	hr := s.HeadR
	for j := range t {
		t[j] = limb(s.ThighR)
	}
	t[jPelvis] = 1.2*s.Pelvis.Z + s.radiusScale(20)
	t[jSpine] = 1.2*s.Belly.Z + s.radiusScale(20)
	t[jThorax] = 1.2*s.Chest.Z + s.radiusScale(20)
	t[jLHip], t[jRHip] = limb(s.ThighR), limb(s.ThighR)
	t[jLKnee], t[jRKnee] = limb(s.ThighR), limb(s.ThighR)
	t[jLAnkle], t[jRAnkle] = limb(s.ShinR), limb(s.ShinR)
	t[jLShoulder], t[jRShoulder] = limb(1.1*s.UpperArmR), limb(1.1*s.UpperArmR)
	t[jLElbow], t[jRElbow] = limb(s.UpperArmR), limb(s.UpperArmR)
	t[jLWrist], t[jRWrist] = limb(s.ForearmR), limb(s.ForearmR)
	t[jNeck] = limb(s.NeckR)
	t[jHeadTop] = 0.12 * hr.Y
	t[jNose] = 0.2 * hr.Z
	t[jLEye], t[jREye] = 0.15*hr.Z, 0.15*hr.Z
	t[jLEar], t[jREar] = 0.3*hr.X, 0.3*hr.X
	if a.Skirt > 0 {
		// The skirt's cloth stands off the hips by up to its depth.
		t[jLHip] = 1.5*s.Pelvis.Z + s.radiusScale(20)
		t[jRHip] = t[jLHip]
	}
	return t
}

// labelPeople derives each person's exact labels from the placed scene and its z-buffer.
func labelPeople(s *sceneSpec, pl *placed, zb *zbuffer, toCOCO *skeleton.Mapping) ([]Person, error) {
	w, h := s.Cam.Width, s.Cam.Height
	n := len(s.People)
	// Person of every pixel, masks, areas and boxes.
	masks := make([]dataset.Mask, n)
	for i := range masks {
		masks[i] = dataset.Mask{Width: w, Height: h, Pix: make([]uint8, w*h)}
	}
	area := make([]int, n)
	box := make([][4]int, n)
	for i := range box {
		box[i] = [4]int{w, h, -1, -1}
	}
	for i, k := range zb.Prim {
		if k < 0 {
			continue
		}
		p := pl.Prims[k].Person
		if p < 0 {
			continue
		}
		masks[p].Pix[i] = 1
		area[p]++
		x, y := i%w, i/w
		b := &box[p]
		b[0], b[1] = min(b[0], x), min(b[1], y)
		b[2], b[3] = max(b[2], x), max(b[3], y)
	}

	var out []Person
	for p := range n {
		if area[p] == 0 {
			continue // hidden or outside the image: not annotated
		}
		xyv := make([]float64, numJoints*3)
		js := &pl.Joints[p]
		for j := range numJoints {
			x, y, v := jointLabel(s, pl, zb, p, j, js[j], pl.Tol[p][j])
			xyv[j*3], xyv[j*3+1], xyv[j*3+2] = x, y, v
		}
		kps, err := toCOCO.Apply(xyv, 3)
		if err != nil {
			return nil, err
		}
		num := 0
		for j := 0; j < len(kps); j += 3 {
			if kps[j+2] > 0 {
				num++
			}
		}
		j3 := make([]float64, 0, numJoints*3)
		for _, q := range js {
			j3 = append(j3, q.X, q.Y, q.Z)
		}
		b := box[p]
		out = append(out, Person{
			Index:        p,
			Keypoints:    kps,
			NumKeypoints: num,
			Joints3D:     j3,
			BBox:         [4]float64{float64(b[0]), float64(b[1]), float64(b[2] - b[0] + 1), float64(b[3] - b[1] + 1)},
			Area:         float64(area[p]),
			Mask:         masks[p],
			TrackID:      s.People[p].TrackID,
		})
	}
	return out, nil
}

// jointLabel returns a joint's COCO label: its projection and visibility 2 when the first surface
// along the ray through it is one of its own parts no more than tol in front of it and its pixel
// shows its person, 1 when it is hidden but inside the image, and (0, 0, 0) outside the image.
func jointLabel(s *sceneSpec, pl *placed, zb *zbuffer, person, j int, q vec3, tol float64) (x, y, v float64) {
	if q.Z < nearPlane {
		return 0, 0, 0
	}
	x, y = s.Cam.project(q)
	w, h := s.Cam.Width, s.Cam.Height
	if !(x >= 0 && y >= 0 && x < float64(w) && y < float64(h)) || math.IsNaN(x) || math.IsNaN(y) {
		return 0, 0, 0
	}
	k, t := firstHit(pl.Prims, vec3{q.X / q.Z, q.Y / q.Z, 1})
	visible := k >= 0 && pl.Prims[k].Person == person && pl.Prims[k].Joints&(1<<j) != 0 && t >= q.Z-tol
	if visible {
		pk := zb.Prim[int(y)*w+int(x)]
		visible = pk >= 0 && pl.Prims[pk].Person == person
	}
	if visible {
		return x, y, 2
	}
	return x, y, 1
}
