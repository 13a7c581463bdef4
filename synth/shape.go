package synth

import (
	"math"
	"math/rand/v2"
)

// shape holds one person's body measurements in millimetres.
type shape struct {
	Height float64
	// Segment lengths.
	Spine1, Spine2, Neck, Head float64
	UpperArm, Forearm, Hand    float64
	Thigh, Shin, Foot, AnkleH  float64
	ShoulderHalf, HipHalf      float64
	// Volumes: radii of limbs and half-sizes of torso parts.
	ThighR, ShinR, UpperArmR, ForearmR, NeckR float64
	Chest, Belly, Pelvis                      vec3
	HeadR                                     vec3
}

// sampleShape draws a person's proportions: adults of varied height and build, sometimes children.
func sampleShape(rng *rand.Rand) shape {
	h := 1700 + 90*rng.NormFloat64()
	if rng.Float64() < 0.08 {
		h = 1100 + 300*rng.Float64() // child
	}
	h = clamp(h, 1000, 2000)
	length := func(frac float64) float64 { return frac * h * (1 + 0.035*rng.NormFloat64()) }
	build := clamp(1+0.12*rng.NormFloat64(), 0.75, 1.4) // slim … heavy
	width := func(frac float64) float64 { return frac * h * build * (1 + 0.05*rng.NormFloat64()) }
	s := shape{
		Height:       h,
		Spine1:       length(0.135),
		Spine2:       length(0.145),
		Neck:         length(0.065),
		Head:         length(0.13),
		UpperArm:     length(0.172),
		Forearm:      length(0.15),
		Hand:         length(0.105),
		Thigh:        length(0.245),
		Shin:         length(0.246),
		Foot:         length(0.15),
		AnkleH:       length(0.039),
		ShoulderHalf: length(0.112),
		HipHalf:      length(0.062),
		ThighR:       width(0.036),
		ShinR:        width(0.026),
		UpperArmR:    width(0.026),
		ForearmR:     width(0.021),
		NeckR:        width(0.029),
		Chest:        vec3{width(0.098), h * 0.1, width(0.062)},
		Belly:        vec3{width(0.088), h * 0.085, width(0.06)},
		Pelvis:       vec3{width(0.095), h * 0.068, width(0.064)},
	}
	// Heads vary less with build than bodies do; children have relatively larger heads.
	hs := s.Head
	if h < 1450 {
		hs *= 1 + (1450-h)/1450
	}
	s.HeadR = vec3{0.36 * hs, 0.54 * hs, 0.45 * hs}
	s.Head = hs
	return s
}

// radiusScale returns a length that scales with the person's height relative to 1.7 m.
func (s shape) radiusScale(mm float64) float64 { return mm * s.Height / 1700 }

// appearance holds one person's colours and clothing textures.
type appearance struct {
	Skin, Hair, Shoes material
	Shirt, Pants      material
	LongSleeves       bool
	LongPants         bool
	HasHair           bool
	LongHair          bool
	// Skirt, when above zero, is the length of a skirt or dress below the hips, in thigh lengths.
	Skirt float64
	// Front is what marks the front of the upper body (the back stays plain), in FrontColour:
	// real clothes differ front and back, and that is how facing reads at low resolution.
	Front       frontStyle
	FrontColour [3]float64
}

// frontStyle is the kind of marking on the front of a shirt or jacket.
type frontStyle int

const (
	frontPrint  frontStyle = iota // a large print on the chest
	frontJacket                   // an open jacket: a strip of the shirt beneath down the middle
	frontButton                   // a collar and a row of buttons
	numFrontStyles
)

// contrasting returns a colour that stands out against c: its complement in hue, at the
// opposite end of the brightness range.
func contrasting(rng *rand.Rand, c [3]float64) [3]float64 {
	lum := 0.3*c[0] + 0.59*c[1] + 0.11*c[2]
	val := 0.85 + 0.15*rng.Float64()
	if lum > 0.45 {
		val = 0.05 + 0.2*rng.Float64()
	}
	return hsv(rng.Float64(), 0.3+0.7*rng.Float64(), val)
}

// skinTones spans light to dark skin (linear-ish sRGB, 0–1).
var skinTones = [][3]float64{
	{0.96, 0.80, 0.69}, {0.92, 0.74, 0.60}, {0.87, 0.67, 0.53}, {0.78, 0.57, 0.42},
	{0.67, 0.47, 0.33}, {0.55, 0.37, 0.25}, {0.43, 0.29, 0.20}, {0.33, 0.22, 0.15},
}

var hairColours = [][3]float64{
	{0.08, 0.06, 0.05}, {0.20, 0.13, 0.08}, {0.35, 0.22, 0.12}, {0.62, 0.48, 0.30},
	{0.80, 0.68, 0.45}, {0.55, 0.55, 0.55}, {0.50, 0.22, 0.10}, {0.85, 0.85, 0.82},
}

// randomColour draws a clothing colour: saturated, muted, dark or light, like real clothes.
func randomColour(rng *rand.Rand) [3]float64 {
	hue := rng.Float64()
	sat := rng.Float64()
	val := 0.15 + 0.85*rng.Float64()
	if rng.Float64() < 0.25 {
		sat *= 0.2 // greys, blacks, whites
	}
	return hsv(hue, sat, val)
}

// hsv converts hue, saturation, value in [0,1] to RGB.
func hsv(h, s, v float64) [3]float64 {
	h = (h - math.Floor(h)) * 6
	i := int(h)
	f := h - float64(i)
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
	switch i {
	case 0:
		return [3]float64{v, t, p}
	case 1:
		return [3]float64{q, v, p}
	case 2:
		return [3]float64{p, v, t}
	case 3:
		return [3]float64{p, q, v}
	case 4:
		return [3]float64{t, p, v}
	default:
		return [3]float64{v, p, q}
	}
}

// sampleAppearance draws skin, hair and clothing.
func sampleAppearance(rng *rand.Rand) appearance {
	skin := skinTones[rng.IntN(len(skinTones))]
	for i := range skin {
		skin[i] = clamp(skin[i]*(1+0.06*rng.NormFloat64()), 0, 1)
	}
	a := appearance{
		Skin:        material{Base: skin, Tex: texPlain},
		Hair:        material{Base: hairColours[rng.IntN(len(hairColours))], Tex: texNoise, Alt: [3]float64{0, 0, 0}, Period: 8},
		Shoes:       material{Base: hsv(rng.Float64(), 0.3*rng.Float64(), 0.05+0.5*rng.Float64()), Tex: texPlain},
		Shirt:       sampleCloth(rng),
		Pants:       sampleCloth(rng),
		LongSleeves: rng.Float64() < 0.55,
		LongPants:   rng.Float64() < 0.75,
		HasHair:     rng.Float64() < 0.95,
	}
	a.Front = frontStyle(rng.IntN(int(numFrontStyles)))
	a.FrontColour = contrasting(rng, a.Shirt.Base)
	a.Hair.Alt = scaleColour(a.Hair.Base, 0.7)
	a.LongHair = a.HasHair && rng.Float64() < 0.35
	if rng.Float64() < 0.15 {
		a.Skirt = 0.45 + 0.8*rng.Float64()
		a.LongPants = false
	}
	return a
}

// sampleCloth draws a clothing material: plain, striped, checked or mottled.
func sampleCloth(rng *rand.Rand) material {
	m := material{Base: randomColour(rng), Period: 20 + 60*rng.Float64()}
	m.Alt = randomColour(rng)
	switch r := rng.Float64(); {
	case r < 0.4:
		m.Tex = texPlain
	case r < 0.6:
		m.Tex = texStripes
	case r < 0.75:
		m.Tex = texChecks
	default:
		m.Tex = texNoise
		m.Alt = scaleColour(m.Base, 0.5+0.4*rng.Float64())
	}
	return m
}

func scaleColour(c [3]float64, s float64) [3]float64 {
	return [3]float64{clamp(c[0]*s, 0, 1), clamp(c[1]*s, 0, 1), clamp(c[2]*s, 0, 1)}
}
