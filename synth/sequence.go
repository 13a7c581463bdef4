package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// motion moves one person smoothly over time: a walking cycle along a turning path, or a pose
// held in place with oscillating arms, head and facing.
type motion struct {
	Walk             bool
	Speed            float64 // mm/s along the facing direction
	Cycle            float64 // gait cycles per second
	Phase0, Amp      float64 // gait phase at t = 0 (rad); hip swing (degrees)
	Knee, Elbow      float64 // gait knee and elbow flexion (degrees)
	Yaw0, Turn       float64 // facing at t = 0 and turning rate (rad, rad/s)
	Start            vec3    // ground position at t = 0
	ArmFreq, ArmAmp  [2]float64
	ArmPhase         [2]float64
	HeadFreq, HeadAm float64
	Base             pose
}

// at returns the person's pose, ground position and facing at time t (seconds).
func (m *motion) at(t float64) (pose, vec3, float64) {
	p := m.Base
	yaw := m.Yaw0 + m.Turn*t
	pos := m.Start
	if m.Walk {
		p.setGait(m.Phase0+2*math.Pi*m.Cycle*t, m.Amp, m.Knee, m.Elbow)
		// Integrate the velocity along the turning heading (rotY(yaw) maps +Z to (sin, 0, cos)).
		if math.Abs(m.Turn) > 1e-9 {
			r := m.Speed / m.Turn
			pos = pos.add(vec3{r * (math.Cos(m.Yaw0) - math.Cos(yaw)), 0, r * (math.Sin(yaw) - math.Sin(m.Yaw0))})
		} else {
			pos = pos.add(vec3{m.Speed * t * math.Sin(yaw), 0, m.Speed * t * math.Cos(yaw)})
		}
	} else {
		for s := range 2 {
			w := m.ArmAmp[s] * math.Sin(2*math.Pi*m.ArmFreq[s]*t+m.ArmPhase[s])
			p.Side[s].ShoulderFlex += deg(w)
			p.Side[s].ShoulderAbd += deg(0.6 * w)
			p.Side[s].Elbow += deg(0.5 * w)
		}
	}
	p.HeadYaw += deg(m.HeadAm * math.Sin(2*math.Pi*m.HeadFreq*t))
	p.clampToLimits()
	return p, pos, yaw
}

// sequenceSpec is a video: a fixed camera, background and cast, and one motion per person.
type sequenceSpec struct {
	Scene   sceneSpec
	Motions []motion
}

// sampleSequence draws sequence seq of the set: the people are placed so that they are in view
// around the middle of a clip of the given duration (seconds).
func sampleSequence(rng *rand.Rand, opt *Options, photos []photo, seq int, duration float64) sequenceSpec {
	s := sampleStill(rng, opt, photos)
	spec := sequenceSpec{Scene: s}
	for i := range s.People {
		p := &spec.Scene.People[i]
		p.TrackID = int64(seq)*1000 + int64(i) + 1
		m := motion{Yaw0: p.Yaw, HeadFreq: 0.1 + 0.4*rng.Float64(), HeadAm: 20 * rng.Float64()}
		if rng.Float64() < 0.6 {
			m.Walk = true
			m.Speed = 800 + 700*rng.Float64()
			m.Cycle = m.Speed / (1500 * p.Shape.Height / 1700)
			m.Phase0 = 2 * math.Pi * rng.Float64()
			m.Amp, m.Knee, m.Elbow = 18+12*rng.Float64(), 30+20*rng.Float64(), 10+25*rng.Float64()
			m.Turn = deg(40 * (rng.Float64()*2 - 1))
			if rng.Float64() < 0.4 {
				m.Turn = 0
			}
			m.Base = samplePose(rng, famWalking)
		} else {
			m.Base = p.Pose
			m.Turn = deg(50 * (rng.Float64()*2 - 1))
			if rng.Float64() < 0.5 {
				m.Turn = 0
			}
			for sd := range 2 {
				m.ArmFreq[sd] = 0.2 + 0.8*rng.Float64()
				m.ArmAmp[sd] = 15 + 40*rng.Float64()
				m.ArmPhase[sd] = 2 * math.Pi * rng.Float64()
			}
		}
		// Start half a clip back along the path so the person is at the sampled spot mid-clip.
		m.Start = p.Pos
		_, mid, _ := m.at(duration / 2)
		m.Start = p.Pos.sub(mid.sub(p.Pos))
		spec.Motions = append(spec.Motions, m)
	}
	return spec
}

// SequenceOptions sets the length and frame rate of rendered video sequences.
type SequenceOptions struct {
	Frames int
	FPS    float64
}

// Validate reports whether the sequence options are usable.
func (o SequenceOptions) Validate() error {
	if o.Frames < 1 || o.Frames > 100000 || !(o.FPS > 0 && o.FPS <= 1000) {
		return fmt.Errorf("synth: sequence of %d frames at %g fps invalid", o.Frames, o.FPS)
	}
	return nil
}

// SequenceFrame renders frame number frame of sequence number seq of the set generated from
// seed. People keep their identity (Person.TrackID = seq·1000 + index + 1) and move smoothly
// from frame to frame; the camera and background stay fixed.
func (r *Renderer) SequenceFrame(seed uint64, seq, frame int, so SequenceOptions) (*Frame, error) {
	if err := so.Validate(); err != nil {
		return nil, err
	}
	if frame < 0 || frame >= so.Frames {
		return nil, fmt.Errorf("synth: frame %d outside sequence of %d", frame, so.Frames)
	}
	rng := newRand(seed, streamSequence, uint64(seq))
	spec := sampleSequence(rng, &r.opt, r.photos, seq, float64(so.Frames-1)/so.FPS)
	t := float64(frame) / so.FPS
	s := spec.Scene
	s.People = append([]personSpec(nil), spec.Scene.People...)
	for i := range s.People {
		s.People[i].Pose, s.People[i].Pos, s.People[i].Yaw = spec.Motions[i].at(t)
	}
	salt := newRand(seed, streamFrame, uint64(seq)<<24^uint64(frame)).Uint32()
	f, err := r.render(&s, salt)
	if err != nil {
		return nil, fmt.Errorf("synth: sequence %d frame %d: %w", seq, frame, err)
	}
	return f, nil
}
