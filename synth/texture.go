package synth

import "math"

// texKind selects a material's surface pattern.
type texKind uint8

const (
	texPlain   texKind = iota
	texStripes         // bands across the part's long axis
	texChecks          // 3D checkerboard
	texNoise           // value noise between Base and Alt
)

// material is a surface colour with an optional clothing-like pattern.
type material struct {
	Base, Alt [3]float64
	Tex       texKind
	// Period is the pattern's size in millimetres.
	Period float64
	// Salt decorrelates the noise of different materials.
	Salt uint32
}

// colourAt returns the material's albedo at point q in the part's local frame (mm).
func (m *material) colourAt(q vec3) [3]float64 {
	switch m.Tex {
	case texStripes:
		if frac(q.Y/m.Period) < 0.5 {
			return m.Alt
		}
	case texChecks:
		p := m.Period
		if (int(math.Floor(q.X/p))+int(math.Floor(q.Y/p))+int(math.Floor(q.Z/p)))&1 == 1 {
			return m.Alt
		}
	case texNoise:
		n := valueNoise3(q.X/m.Period, q.Y/m.Period, q.Z/m.Period, m.Salt)
		return mix(m.Base, m.Alt, n)
	}
	return m.Base
}

func frac(x float64) float64 { return x - math.Floor(x) }

func mix(a, b [3]float64, t float64) [3]float64 {
	return [3]float64{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t, a[2] + (b[2]-a[2])*t}
}

// colourAt2D is colourAt for flat surfaces (floor, wall, painted shapes): q = (x, y, 0).
func (m *material) colourAt2D(x, y float64) [3]float64 {
	if m.Tex == texNoise {
		return mix(m.Base, m.Alt, valueNoise2(x/m.Period, y/m.Period, m.Salt))
	}
	return m.colourAt(vec3{x, y, 0})
}

// valueNoise2 is bilinearly interpolated lattice noise in [0, 1).
func valueNoise2(x, y float64, salt uint32) float64 {
	fx, fy := math.Floor(x), math.Floor(y)
	ix, iy := int(fx), int(fy)
	tx, ty := smooth(x-fx), smooth(y-fy)
	a := hash3(ix, iy, 0, salt)
	b := hash3(ix+1, iy, 0, salt)
	c := hash3(ix, iy+1, 0, salt)
	d := hash3(ix+1, iy+1, 0, salt)
	top := a + (b-a)*tx
	bot := c + (d-c)*tx
	return top + (bot-top)*ty
}

// hash3 maps integer lattice coordinates and a salt to [0, 1).
func hash3(x, y, z int, salt uint32) float64 {
	h := uint32(x)*0x8da6b343 ^ uint32(y)*0xd8163841 ^ uint32(z)*0xcb1ab31f ^ salt*0x9e3779b9
	h ^= h >> 16
	h *= 0x7feb352d
	h ^= h >> 15
	h *= 0x846ca68b
	h ^= h >> 16
	return float64(h) / (1 << 32)
}

// smooth is the smoothstep fade curve of value noise.
func smooth(t float64) float64 { return t * t * (3 - 2*t) }

// valueNoise3 is trilinearly interpolated lattice noise in [0, 1).
func valueNoise3(x, y, z float64, salt uint32) float64 {
	fx, fy, fz := math.Floor(x), math.Floor(y), math.Floor(z)
	ix, iy, iz := int(fx), int(fy), int(fz)
	tx, ty, tz := smooth(x-fx), smooth(y-fy), smooth(z-fz)
	lerp := func(a, b, t float64) float64 { return a + (b-a)*t }
	c := func(dx, dy, dz int) float64 { return hash3(ix+dx, iy+dy, iz+dz, salt) }
	x00 := lerp(c(0, 0, 0), c(1, 0, 0), tx)
	x10 := lerp(c(0, 1, 0), c(1, 1, 0), tx)
	x01 := lerp(c(0, 0, 1), c(1, 0, 1), tx)
	x11 := lerp(c(0, 1, 1), c(1, 1, 1), tx)
	return lerp(lerp(x00, x10, ty), lerp(x01, x11, ty), tz)
}
