package synth

import (
	"math"
	"math/rand/v2"
)

// personSpec is one person of a scene: who they are, how they stand, and where.
type personSpec struct {
	Shape   shape
	Look    appearance
	Pose    pose
	Pos     vec3    // world ground position of the body origin (mm)
	Yaw     float64 // facing: 0 faces away from the camera (+Z), π towards it
	TrackID int64
}

// sceneSpec is everything needed to render one image.
type sceneSpec struct {
	Cam     camera
	BG      background
	Photo   photoCrop // a photograph behind the scene instead of BG's wall and floor
	People  []personSpec
	Clutter []prim // world coordinates, Person = -1
	Light   vec3   // unit direction towards the light, camera coordinates
	Ambient float64
	Tint    [3]float64
	Noise   float64 // sensor noise amplitude (0–1 scale)
	// ShadowDark is how dark the soft shadows under people are (0–1).
	ShadowDark float64
	Blur       bool
}

// sampleLighting draws a light from above, an ambient level, a colour tint and sensor noise.
func (s *sceneSpec) sampleLighting(rng *rand.Rand) {
	s.Light = vec3{rng.Float64()*1.6 - 0.8, -0.4 - rng.Float64(), -0.2 - rng.Float64()}.unit()
	s.Ambient = 0.25 + 0.3*rng.Float64()
	s.Tint = [3]float64{1 + 0.12*rng.NormFloat64(), 1, 1 + 0.12*rng.NormFloat64()}
	s.Noise = 0.01 + 0.03*rng.Float64()
	s.Blur = rng.Float64() < 0.6
	s.ShadowDark = 0.2 + 0.5*rng.Float64()
}

// sampleStill draws a scene for one still image (photos: optional background photographs).
func sampleStill(rng *rand.Rand, opt *Options, photos []photo) sceneSpec {
	var s sceneSpec
	s.Cam = sampleCamera(rng, opt.Width, opt.Height)
	s.BG = sampleBackground(rng, opt.LimbClutter)
	s.Photo = samplePhotoCrop(rng, photos, opt.PhotoFraction, opt.Width, opt.Height)
	s.sampleLighting(rng)
	n := opt.MinPeople
	if opt.MaxPeople > opt.MinPeople {
		n += rng.IntN(opt.MaxPeople - opt.MinPeople + 1)
	}
	if opt.HeavyOcclusion && n < 2 && opt.MaxPeople >= 2 {
		n = 2 // occlusion between people needs at least two
	}
	fw := float64(opt.Width)
	cluster := rng.Float64() * fw
	var clusterZ float64
	minGap := 550.0 // mm between people on the ground
	if opt.HeavyOcclusion {
		minGap = 420
	}
	hlo, hhi := opt.heightRange()
	for i := range n {
		p := personSpec{Shape: sampleShape(rng), Look: sampleAppearance(rng)}
		p.Look.Shirt.Salt, p.Look.Pants.Salt, p.Look.Hair.Salt = rng.Uint32(), rng.Uint32(), rng.Uint32()
		p.Pose = samplePose(rng, family(rng.IntN(int(numFamilies))))
		p.Yaw = sampleYaw(rng, opt.backViews())
		for try := 0; ; try++ {
			// Full-body pixel height log-uniform over the options' range of image heights.
			px := float64(opt.Height) * math.Exp(math.Log(hlo)+rng.Float64()*math.Log(hhi/hlo))
			z := math.Max(s.Cam.Intr.Fy*p.Shape.Height/px, 900)
			x := -0.15*fw + 1.3*fw*rng.Float64()
			if opt.HeavyOcclusion {
				if i == 0 {
					clusterZ = z
				} else {
					z = math.Max(clusterZ*(0.85+0.5*rng.Float64()), 900)
				}
				x = cluster + 0.12*fw*(rng.Float64()*2-1)
			}
			p.Pos = s.Cam.groundPoint(x, z)
			if try > 20 || clearOf(p.Pos, s.People, minGap) {
				break
			}
		}
		s.People = append(s.People, p)
	}
	s.Clutter = sampleClutter(rng, &s, opt.HeavyOcclusion, opt.LightOcclusion, opt.LimbClutter)
	return s
}

// sampleYaw draws a person's facing (0 faces away from the camera): with probability back within
// ±60° of straight away, otherwise uniformly over the front and profile views.
func sampleYaw(rng *rand.Rand, back float64) float64 {
	const cone = math.Pi / 3
	if rng.Float64() < back {
		return (rng.Float64()*2 - 1) * cone
	}
	return cone + rng.Float64()*(2*math.Pi-2*cone)
}

// clearOf reports whether ground point q is at least d mm from every person already placed.
func clearOf(q vec3, people []personSpec, d float64) bool {
	for _, o := range people {
		if o.Pos.sub(q).norm() < d {
			return false
		}
	}
	return true
}

// sampleClutter places occluding objects (pillars, boxes, balls) in the world, more of them and
// in front of the people for heavy occlusion, only behind them (beyond the farthest person) for
// light occlusion. Pillars are thick unless limbs is set, which adds poles as thin as arms.
func sampleClutter(rng *rand.Rand, s *sceneSpec, heavy, light, limbs bool) []prim {
	var far float64
	for _, p := range s.People {
		far = math.Max(far, p.Pos.Z)
	}
	n := rng.IntN(3)
	if heavy {
		n = 1 + rng.IntN(3)
	}
	var out []prim
	for range n {
		m := sampleCloth(rng)
		m.Salt = rng.Uint32()
		mp := &m
		var z float64
		if len(s.People) > 0 && (heavy || rng.Float64() < 0.5) {
			// Between the camera and someone.
			z = s.People[rng.IntN(len(s.People))].Pos.Z * (0.4 + 0.5*rng.Float64())
		} else {
			z = 1500 + 12000*rng.Float64()
		}
		z = math.Max(z, 700)
		if light {
			z = math.Max(z, far+1500+3000*rng.Float64())
		}
		x := float64(s.Cam.Width) * (rng.Float64()*1.2 - 0.1)
		g := s.Cam.groundPoint(x, z)
		var pr prim
		switch rng.IntN(3) {
		case 0: // pillar or pole
			r := 40 + 220*rng.Float64()
			if !limbs {
				r = 180 + 200*rng.Float64() // a column or trunk, wider than any limb
			}
			pr = newCapsule(g.add(vec3{0, -200, 0}), g.add(vec3{0, 1500 + 2500*rng.Float64(), 0}), r, ident, mp)
		case 1: // box-like block
			rad := vec3{150 + 500*rng.Float64(), 150 + 600*rng.Float64(), 150 + 400*rng.Float64()}
			pr = newEllipsoid(g.add(vec3{0, rad.Y * 0.7, 0}), rotY(rng.Float64()*math.Pi), rad, mp)
		default: // ball or bush in the air or on the ground
			r := 100 + 300*rng.Float64()
			pr = newEllipsoid(g.add(vec3{0, r + 1500*rng.Float64(), 0}), ident, vec3{r, r, r}, mp)
		}
		pr.Person = -1
		out = append(out, pr)
	}
	return out
}

// placed is a scene ready to render: every part in camera coordinates, and each person's joints.
type placed struct {
	Prims  []prim
	Joints [][numJoints]vec3 // per person, camera coordinates (mm)
	Tol    [][numJoints]float64
}

// place poses every person and moves bodies and clutter into camera coordinates.
func (s *sceneSpec) place() placed {
	var pl placed
	for i := range s.People {
		p := &s.People[i]
		b := buildBody(&p.Shape, &p.Pose, &p.Look)
		rot := s.Cam.rot.mul(rotY(p.Yaw))
		off := s.Cam.toCamera(p.Pos)
		var js [numJoints]vec3
		for j := range js {
			js[j] = rot.apply(b.Joints[j]).add(off)
		}
		pl.Joints = append(pl.Joints, js)
		pl.Tol = append(pl.Tol, jointTolerances(&p.Shape, &p.Look))
		for _, pr := range b.Prims {
			q := pr.transformed(rot, off)
			q.Person = i
			pl.Prims = append(pl.Prims, q)
		}
	}
	for _, c := range s.Clutter {
		q := c.transformed(s.Cam.rot, s.Cam.toCamera(vec3{}))
		q.Person = -1
		pl.Prims = append(pl.Prims, q)
	}
	for i := range pl.Prims {
		pl.Prims[i].prepare()
	}
	return pl
}
