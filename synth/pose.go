package synth

import (
	"math"
	"math/rand/v2"
)

// limb holds the joint angles (radians) of one arm and one leg.
type limb struct {
	ShoulderFlex, ShoulderAbd, ShoulderRot, Elbow float64
	HipFlex, HipAbd, Knee, Ankle                  float64
}

// pose is a body's joint angles in radians. Positive flexions bend forward (hips, shoulders,
// spine) or fold the joint (knees, elbows); Side[0] is the left side, Side[1] the right.
type pose struct {
	Bend, SideBend, Twist        float64
	HeadPitch, HeadYaw, HeadRoll float64
	Side                         [2]limb
}

// family is a named group of poses.
type family int

const (
	famStanding family = iota
	famWalking
	famRunning
	famSitting
	famReaching
	famCrouching
	famArmsRaised
	famWaving
	famBending
	famKneeling
	famTPose
	numFamilies
)

// familyNames names the pose families (for documentation and tests).
var familyNames = [numFamilies]string{
	"standing", "walking", "running", "sitting", "reaching", "crouching", "arms-raised",
	"waving", "bending", "kneeling", "t-pose",
}

// u draws uniformly from [lo, hi] degrees and returns radians.
func u(rng *rand.Rand, lo, hi float64) float64 { return deg(lo + (hi-lo)*rng.Float64()) }

// samplePose draws a pose of the given family with random variation, clamped to human limits.
func samplePose(rng *rand.Rand, fam family) pose {
	var p pose
	for s := range 2 {
		p.Side[s] = limb{
			ShoulderFlex: u(rng, -10, 20), ShoulderAbd: u(rng, 5, 20), ShoulderRot: u(rng, 0, 40),
			Elbow: u(rng, 5, 35), HipFlex: u(rng, -5, 10), HipAbd: u(rng, 0, 8), Knee: u(rng, 0, 10),
		}
	}
	p.HeadYaw = u(rng, -35, 35)
	p.HeadPitch = u(rng, -15, 20)
	switch fam {
	case famWalking, famRunning:
		amp, knee, elbow := 25.0, 35.0, 20.0
		if fam == famRunning {
			amp, knee, elbow = 40, 80, 85
			p.Bend = u(rng, 5, 18)
		}
		p.setGait(rng.Float64()*2*math.Pi, amp, knee, elbow)
	case famSitting:
		for s := range 2 {
			l := &p.Side[s]
			l.HipFlex, l.Knee = u(rng, 75, 105), u(rng, 70, 110)
			l.HipAbd = u(rng, 0, 20)
			l.ShoulderFlex, l.Elbow = u(rng, 10, 45), u(rng, 30, 90)
		}
		p.Bend = u(rng, -10, 20)
	case famReaching:
		s := rng.IntN(2)
		p.Side[s].ShoulderFlex = u(rng, 60, 150)
		p.Side[s].ShoulderAbd = u(rng, 0, 40)
		p.Side[s].Elbow = u(rng, 0, 25)
		p.Twist = u(rng, -25, 25)
		p.Bend = u(rng, 0, 30)
	case famCrouching:
		for s := range 2 {
			l := &p.Side[s]
			l.HipFlex, l.Knee = u(rng, 95, 125), u(rng, 110, 145)
			l.HipAbd = u(rng, 5, 25)
			l.ShoulderFlex, l.Elbow = u(rng, 20, 80), u(rng, 20, 100)
		}
		p.Bend = u(rng, 15, 45)
	case famArmsRaised:
		for s := range 2 {
			l := &p.Side[s]
			if rng.Float64() < 0.5 {
				l.ShoulderFlex, l.ShoulderAbd = u(rng, 140, 175), u(rng, 0, 25)
			} else {
				l.ShoulderFlex, l.ShoulderAbd = u(rng, -10, 20), u(rng, 130, 170)
			}
			l.Elbow = u(rng, 0, 40)
		}
		p.HeadPitch = u(rng, -30, 5)
	case famWaving:
		s := rng.IntN(2)
		p.Side[s].ShoulderFlex, p.Side[s].ShoulderAbd = u(rng, -10, 20), u(rng, 70, 110)
		p.Side[s].ShoulderRot = u(rng, -90, -60) // forearm up
		p.Side[s].Elbow = u(rng, 60, 110)
	case famBending:
		p.Bend = u(rng, 50, 85)
		for s := range 2 {
			l := &p.Side[s]
			l.Knee = u(rng, 0, 30)
			l.HipFlex = u(rng, 0, 25)
			l.ShoulderFlex = p.Bend + u(rng, -15, 25)
		}
		p.HeadPitch = u(rng, -40, -10)
	case famKneeling:
		s := rng.IntN(2)
		p.Side[s].HipFlex, p.Side[s].Knee = u(rng, 80, 100), u(rng, 80, 100)
		p.Side[1-s].HipFlex, p.Side[1-s].Knee = u(rng, -10, 10), u(rng, 85, 105)
		p.Side[1-s].Ankle = u(rng, 30, 60)
	case famTPose:
		for s := range 2 {
			p.Side[s].ShoulderAbd = u(rng, 75, 100)
			p.Side[s].ShoulderFlex = u(rng, -10, 15)
			p.Side[s].Elbow = u(rng, 0, 15)
		}
	}
	p.jitter(rng, 6)
	p.clampToLimits()
	return p
}

// setGait sets legs and arms to a walking/running cycle at phase ph (radians): amp is the hip
// swing, knee the swing-phase knee flexion, elbow the elbow flexion (degrees).
func (p *pose) setGait(ph, amp, knee, elbow float64) {
	for s := range 2 {
		q := ph + float64(s)*math.Pi
		l := &p.Side[s]
		l.HipFlex = deg(amp * math.Sin(q))
		// The knee folds while the leg swings forward and stays nearly straight in stance.
		l.Knee = deg(5 + knee*math.Max(0, math.Sin(q+math.Pi/3)))
		l.ShoulderFlex = deg(-0.8 * amp * math.Sin(q))
		l.ShoulderAbd = deg(8)
		l.Elbow = deg(elbow + 10*math.Max(0, -math.Sin(q)))
		l.Ankle = deg(-10 * math.Sin(q))
	}
}

// jitter adds Gaussian noise of sd degrees to every angle.
func (p *pose) jitter(rng *rand.Rand, sd float64) {
	n := func() float64 { return deg(sd * rng.NormFloat64()) }
	p.Bend += n() / 2
	p.SideBend += n()
	p.Twist += n()
	p.HeadPitch += n()
	p.HeadYaw += n()
	p.HeadRoll += n()
	for s := range 2 {
		l := &p.Side[s]
		l.ShoulderFlex += n()
		l.ShoulderAbd += n()
		l.ShoulderRot += n()
		l.Elbow += n()
		l.HipFlex += n()
		l.HipAbd += n() / 2
		l.Knee += n()
		l.Ankle += n()
	}
}

// clampToLimits keeps every angle within the range of a human joint.
func (p *pose) clampToLimits() {
	c := func(v *float64, lo, hi float64) { *v = clamp(*v, deg(lo), deg(hi)) }
	c(&p.Bend, -25, 95)
	c(&p.SideBend, -30, 30)
	c(&p.Twist, -45, 45)
	c(&p.HeadPitch, -45, 50)
	c(&p.HeadYaw, -75, 75)
	c(&p.HeadRoll, -30, 30)
	for s := range 2 {
		l := &p.Side[s]
		c(&l.ShoulderFlex, -50, 180)
		c(&l.ShoulderAbd, -5, 180)
		c(&l.ShoulderRot, -90, 90)
		c(&l.Elbow, 0, 150)
		c(&l.HipFlex, -30, 130)
		c(&l.HipAbd, -15, 50)
		c(&l.Knee, 0, 150)
		c(&l.Ankle, -40, 60)
	}
}
