package synth

import "math"

// Joint indices of skeleton.H36MFace, the synthetic body's joint set.
const (
	jPelvis = iota
	jRHip
	jRKnee
	jRAnkle
	jLHip
	jLKnee
	jLAnkle
	jSpine
	jThorax
	jNeck
	jHeadTop
	jLShoulder
	jLElbow
	jLWrist
	jRShoulder
	jRElbow
	jRWrist
	jNose
	jLEye
	jREye
	jLEar
	jREar
	numJoints
)

// body is a posed person in its own frame: X to the person's left, Y up, Z forward, millimetres,
// feet on the ground plane Y = 0.
type body struct {
	Joints [numJoints]vec3
	Prims  []prim
}

// bit returns the joint-set mask of the given joints.
func bit(js ...int) uint32 {
	var m uint32
	for _, j := range js {
		m |= 1 << j
	}
	return m
}

// buildBody poses a person: forward kinematics from the pelvis, then the volumes around the
// bones, with the lowest point of the feet on the ground.
func buildBody(s *shape, p *pose, a *appearance) body {
	var b body
	J := &b.Joints
	down := vec3{0, -1, 0}
	up := vec3{0, 1, 0}

	// Spine: the bend, side bend and twist are spread over its two segments.
	half := rotY(p.Twist / 2).mul(rotX(p.Bend / 2)).mul(rotZ(p.SideBend / 2))
	t1 := half
	t2 := half.mul(half)
	J[jPelvis] = vec3{}
	J[jSpine] = t1.apply(up.scale(s.Spine1))
	J[jThorax] = J[jSpine].add(t2.apply(up.scale(s.Spine2)))
	neckDir := t2.mul(rotX(p.HeadPitch / 3))
	J[jNeck] = J[jThorax].add(neckDir.apply(vec3{0, s.Neck, 0.12 * s.Neck}))
	head := t2.mul(rotY(p.HeadYaw)).mul(rotX(p.HeadPitch)).mul(rotZ(p.HeadRoll))
	hr := s.HeadR
	headC := J[jNeck].add(head.apply(vec3{0, 0.55 * hr.Y, 0.12 * hr.Z}))
	onHead := func(x, y, z float64) vec3 { return headC.add(head.apply(vec3{x * hr.X, y * hr.Y, z * hr.Z})) }
	surf := func(x, y float64) float64 { return math.Sqrt(math.Max(0, 1-x*x-y*y)) }
	J[jHeadTop] = onHead(0, 0.97, 0)
	J[jNose] = onHead(0, -0.12, 1.06)
	J[jLEye] = onHead(0.34, 0.13, 0.97*surf(0.34, 0.13))
	J[jREye] = onHead(-0.34, 0.13, 0.97*surf(0.34, 0.13))
	J[jLEar] = onHead(1.0, 0.02, -0.05)
	J[jREar] = onHead(-1.0, 0.02, -0.05)

	// Arms.
	var upper, fore [2]mat3
	for side := range 2 {
		sg := 1.0 // left is +X
		sh, el, wr := jLShoulder, jLElbow, jLWrist
		if side == 1 {
			sg, sh, el, wr = -1, jRShoulder, jRElbow, jRWrist
		}
		l := &p.Side[side]
		J[sh] = J[jThorax].add(t2.apply(vec3{sg * s.ShoulderHalf, -0.025 * s.Height, -0.01 * s.Height}))
		upper[side] = t2.mul(rotX(-l.ShoulderFlex)).mul(rotZ(sg * l.ShoulderAbd)).mul(rotY(-sg * l.ShoulderRot))
		J[el] = J[sh].add(upper[side].apply(down.scale(s.UpperArm)))
		fore[side] = upper[side].mul(rotX(-l.Elbow))
		J[wr] = J[el].add(fore[side].apply(down.scale(s.Forearm)))
	}
	// Legs.
	var thigh, shin [2]mat3
	for side := range 2 {
		sg := 1.0
		hp, kn, an := jLHip, jLKnee, jLAnkle
		if side == 1 {
			sg, hp, kn, an = -1, jRHip, jRKnee, jRAnkle
		}
		l := &p.Side[side]
		J[hp] = vec3{sg * s.HipHalf, -0.03 * s.Height, 0}
		thigh[side] = rotX(-l.HipFlex).mul(rotZ(sg * l.HipAbd))
		J[kn] = J[hp].add(thigh[side].apply(down.scale(s.Thigh)))
		shin[side] = thigh[side].mul(rotX(l.Knee))
		J[an] = J[kn].add(shin[side].apply(down.scale(s.Shin)))
	}

	ap := a
	shirtArm := &ap.Shirt
	lowerArm := &ap.Skin
	if a.LongSleeves {
		lowerArm = &ap.Shirt
	}
	lowerLeg := &ap.Skin
	if a.LongPants {
		lowerLeg = &ap.Pants
	}
	add := func(pr prim, joints uint32) { pr.Joints = joints; b.Prims = append(b.Prims, pr) }

	// Torso: pelvis, belly, chest, shoulder girdle, neck.
	add(newEllipsoid(vec3{0, -0.01 * s.Height, -0.005 * s.Height}, ident, s.Pelvis, &ap.Pants), bit(jPelvis, jLHip, jRHip))
	if a.Skirt > 0 {
		// A skirt or dress hangs from the hips: it hides the hips (counted as their surface) and,
		// when long, the knees.
		drop := a.Skirt * s.Thigh
		c := vec3{0, -0.03*s.Height - 0.4*drop, 0}
		add(newEllipsoid(c, ident, vec3{1.2 * s.Pelvis.X, 0.55*drop + 0.05*s.Height, 1.2 * s.Pelvis.Z}, &ap.Pants), bit(jPelvis, jLHip, jRHip))
	}
	belly := newEllipsoid(J[jSpine].scale(0.7), t1, s.Belly, &ap.Shirt)
	belly.Features = frontFeatures(a, s.Belly, false)
	add(belly, bit(jSpine, jPelvis))
	// The waist bridges belly and chest so the torso reads as one piece.
	waist := vec3{0.5 * (s.Belly.X + s.Chest.X), 0.55 * s.Spine2, 0.5 * (s.Belly.Z + s.Chest.Z)}
	waistP := newEllipsoid(J[jSpine], t1.mul(half), waist.scale(0.97), &ap.Shirt)
	waistP.Features = frontFeatures(a, waist.scale(0.97), false)
	add(waistP, bit(jSpine))
	chestC := J[jSpine].add(t2.apply(vec3{0, 0.5 * s.Spine2, 0}))
	chest := newEllipsoid(chestC, t2, s.Chest, &ap.Shirt)
	chest.Features = frontFeatures(a, s.Chest, true)
	add(chest, bit(jSpine, jThorax))
	add(newCapsule(J[jRShoulder], J[jLShoulder], 1.1*s.UpperArmR, t2, shirtArm), bit(jThorax, jLShoulder, jRShoulder))
	add(newCapsule(J[jThorax], J[jNeck], s.NeckR, t2, &ap.Skin), bit(jThorax, jNeck))

	// Head, hair, nose, ears, eyes and mouth.
	headP := newEllipsoid(headC, head, hr, &ap.Skin)
	eyeR := 0.13 * hr.X
	dark := [3]float64{0.05, 0.04, 0.04}
	headP.Features = []feature{
		{Pos: vec3{0.34 * hr.X, 0.13 * hr.Y, surf(0.34, 0.13) * hr.Z}, Radius: eyeR, Colour: dark},
		{Pos: vec3{-0.34 * hr.X, 0.13 * hr.Y, surf(0.34, 0.13) * hr.Z}, Radius: eyeR, Colour: dark},
		{Pos: vec3{0, -0.5 * hr.Y, surf(0, 0.5) * hr.Z}, Radius: 0.2 * hr.X, Colour: scaleColour(a.Skin.Base, 0.5)},
		// Eyebrows: a dark band above each eye.
		{Pos: vec3{0.34 * hr.X, 0.33 * hr.Y, surf(0.34, 0.33) * hr.Z}, Radius: 0.11 * hr.X, Colour: scaleColour(a.Hair.Base, 0.8)},
		{Pos: vec3{-0.34 * hr.X, 0.33 * hr.Y, surf(0.34, 0.33) * hr.Z}, Radius: 0.11 * hr.X, Colour: scaleColour(a.Hair.Base, 0.8)},
	}
	add(headP, bit(jHeadTop, jLEye, jREye, jNeck))
	if a.HasHair {
		hair := newEllipsoid(headC.add(head.apply(vec3{0, 0.1 * hr.Y, -0.14 * hr.Z})), head,
			vec3{1.05 * hr.X, 0.96 * hr.Y, 1.0 * hr.Z}, &ap.Hair)
		add(hair, bit(jHeadTop))
		if a.LongHair {
			add(newEllipsoid(headC.add(head.apply(vec3{0, -0.45 * hr.Y, -0.55 * hr.Z})), head,
				vec3{0.95 * hr.X, 0.8 * hr.Y, 0.5 * hr.Z}, &ap.Hair), 0)
		}
	}
	add(newEllipsoid(onHead(0, -0.1, 0.94), head, vec3{0.14 * hr.X, 0.2 * hr.Y, 0.2 * hr.Z}, &ap.Skin), bit(jNose))
	for _, e := range []int{jLEar, jREar} {
		add(newEllipsoid(J[e], head, vec3{0.12 * hr.X, 0.25 * hr.Y, 0.18 * hr.Z}, &ap.Skin), bit(e))
	}

	// Limbs.
	for side := range 2 {
		sh, el, wr := jLShoulder, jLElbow, jLWrist
		hp, kn, an := jLHip, jLKnee, jLAnkle
		if side == 1 {
			sh, el, wr = jRShoulder, jRElbow, jRWrist
			hp, kn, an = jRHip, jRKnee, jRAnkle
		}
		add(newCapsule(J[sh], J[el], s.UpperArmR, upper[side], shirtArm), bit(sh, el))
		add(newCapsule(J[el], J[wr], s.ForearmR, fore[side], lowerArm), bit(el, wr))
		handC := J[wr].add(fore[side].apply(down.scale(0.45 * s.Hand)))
		add(newEllipsoid(handC, fore[side], vec3{1.5 * s.ForearmR, 0.55 * s.Hand, 0.8 * s.ForearmR}, &ap.Skin), bit(wr))
		add(newCapsule(J[hp], J[kn], s.ThighR, thigh[side], &ap.Pants), bit(hp, kn))
		add(newCapsule(J[kn], J[an], s.ShinR, shin[side], lowerLeg), bit(kn, an))
		// Muscles taper the limbs: a fuller upper thigh, a calf behind the shin, a forearm
		// thicker near the elbow.
		add(muscle(J[hp], J[kn], 0.35, vec3{1.3 * s.ThighR, 0.42 * s.Thigh, 1.25 * s.ThighR}, thigh[side], 0, &ap.Pants), bit(hp))
		add(muscle(J[kn], J[an], 0.3, vec3{1.2 * s.ShinR, 0.3 * s.Shin, 1.3 * s.ShinR}, shin[side], -0.25*s.ShinR, lowerLeg), 0)
		add(muscle(J[el], J[wr], 0.3, vec3{1.25 * s.ForearmR, 0.35 * s.Forearm, 1.15 * s.ForearmR}, fore[side], 0, lowerArm), 0)
		foot := shin[side].mul(rotX(-p.Side[side].Ankle))
		fwd := foot.apply(vec3{0, 0, 1})
		base := J[an].add(foot.apply(down.scale(0.5 * s.AnkleH)))
		add(newCapsule(base.add(fwd.scale(-0.2*s.Foot)), base.add(fwd.scale(0.75*s.Foot)), 0.9*s.ShinR, foot, &ap.Shoes), bit(an))
	}

	// Stand on the ground: lift the body so its lowest point touches Y = 0.
	minY := math.Inf(1)
	for i := range b.Prims {
		lo, _ := b.Prims[i].bounds()
		minY = math.Min(minY, lo.Y)
	}
	lift := vec3{0, -minY, 0}
	for i := range J {
		J[i] = J[i].add(lift)
	}
	for i := range b.Prims {
		b.Prims[i] = b.Prims[i].transformed(ident, lift)
	}
	return b
}

// frontFeatures returns the marks on the front (+Z) of a torso part with half-lengths r: the
// upper body's style of a (chest true: the chest, else belly or waist). Backs stay plain.
func frontFeatures(a *appearance, r vec3, chest bool) []feature {
	onFront := func(x, y float64) vec3 {
		return vec3{x * r.X, y * r.Y, math.Sqrt(math.Max(0, 1-x*x-y*y)) * r.Z}
	}
	var fs []feature
	switch a.Front {
	case frontPrint:
		if chest {
			fs = append(fs, feature{Pos: onFront(0, -0.1), Radius: 0.55 * r.X, Colour: a.FrontColour})
		}
	case frontJacket:
		for _, y := range []float64{-0.7, -0.35, 0, 0.35, 0.7} {
			fs = append(fs, feature{Pos: onFront(0, y), Radius: 0.28 * r.X, Colour: a.FrontColour})
		}
	case frontButton:
		for _, y := range []float64{-0.6, -0.2, 0.2} {
			fs = append(fs, feature{Pos: onFront(0, y), Radius: 0.1 * r.X, Colour: a.FrontColour})
		}
	}
	if chest {
		// A collar or neckline, open at the front.
		fs = append(fs, feature{Pos: onFront(0, 0.8), Radius: 0.35 * r.X, Colour: a.Skin.Base})
		if a.Front == frontButton {
			fs = append(fs, feature{Pos: onFront(0.3, 0.75), Radius: 0.22 * r.X, Colour: a.FrontColour},
				feature{Pos: onFront(-0.3, 0.75), Radius: 0.22 * r.X, Colour: a.FrontColour})
		}
	}
	return fs
}

// muscle returns an ellipsoid along the bone from a to b, centred at fraction at of its length
// and shifted by back along the bone frame's Z axis (negative: behind), with the given radii in
// the bone's frame (Y along the bone).
func muscle(a, b vec3, at float64, radii vec3, bone mat3, back float64, mat *material) prim {
	f := frameAlong(b.sub(a), bone)
	c := a.lerp(b, at).add(f.col(2).scale(back))
	return newEllipsoid(c, f, radii, mat)
}
