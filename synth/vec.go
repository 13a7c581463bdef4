package synth

import "math"

// vec3 is a 3D vector in millimetres (or a direction).
type vec3 struct{ X, Y, Z float64 }

func (a vec3) add(b vec3) vec3             { return vec3{a.X + b.X, a.Y + b.Y, a.Z + b.Z} }
func (a vec3) sub(b vec3) vec3             { return vec3{a.X - b.X, a.Y - b.Y, a.Z - b.Z} }
func (a vec3) scale(s float64) vec3        { return vec3{a.X * s, a.Y * s, a.Z * s} }
func (a vec3) dot(b vec3) float64          { return a.X*b.X + a.Y*b.Y + a.Z*b.Z }
func (a vec3) norm() float64               { return math.Sqrt(a.dot(a)) }
func (a vec3) lerp(b vec3, t float64) vec3 { return a.add(b.sub(a).scale(t)) }
func (a vec3) cross(b vec3) vec3 {
	return vec3{a.Y*b.Z - a.Z*b.Y, a.Z*b.X - a.X*b.Z, a.X*b.Y - a.Y*b.X}
}

// unit returns a scaled to length 1 (or a itself when it is zero).
func (a vec3) unit() vec3 {
	n := a.norm()
	if n == 0 {
		return a
	}
	return a.scale(1 / n)
}

// mat3 is a 3×3 rotation matrix, row-major; its columns are the rotated frame's axes.
type mat3 [9]float64

// ident is the identity rotation.
var ident = mat3{1, 0, 0, 0, 1, 0, 0, 0, 1}

func (m mat3) mul(n mat3) mat3 {
	var r mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			r[i*3+j] = m[i*3]*n[j] + m[i*3+1]*n[3+j] + m[i*3+2]*n[6+j]
		}
	}
	return r
}

func (m mat3) apply(v vec3) vec3 {
	return vec3{
		m[0]*v.X + m[1]*v.Y + m[2]*v.Z,
		m[3]*v.X + m[4]*v.Y + m[5]*v.Z,
		m[6]*v.X + m[7]*v.Y + m[8]*v.Z,
	}
}

// applyT applies the transpose (the inverse rotation).
func (m mat3) applyT(v vec3) vec3 {
	return vec3{
		m[0]*v.X + m[3]*v.Y + m[6]*v.Z,
		m[1]*v.X + m[4]*v.Y + m[7]*v.Z,
		m[2]*v.X + m[5]*v.Y + m[8]*v.Z,
	}
}

// col returns column i: the rotated frame's i-th axis.
func (m mat3) col(i int) vec3 { return vec3{m[i], m[3+i], m[6+i]} }

// rotX, rotY, rotZ are right-handed rotations by a radians about the axes.
func rotX(a float64) mat3 {
	s, c := math.Sincos(a)
	return mat3{1, 0, 0, 0, c, -s, 0, s, c}
}

func rotY(a float64) mat3 {
	s, c := math.Sincos(a)
	return mat3{c, 0, s, 0, 1, 0, -s, 0, c}
}

func rotZ(a float64) mat3 {
	s, c := math.Sincos(a)
	return mat3{c, -s, 0, s, c, 0, 0, 0, 1}
}

// frameAlong returns a rotation whose Y column is the unit direction d, with the other axes
// chosen to stay close to the reference frame ref (so textures do not spin as limbs move).
func frameAlong(d vec3, ref mat3) mat3 {
	y := d.unit()
	x := ref.col(0)
	x = x.sub(y.scale(x.dot(y)))
	if x.norm() < 1e-6 {
		x = ref.col(2)
		x = x.sub(y.scale(x.dot(y)))
	}
	x = x.unit()
	z := x.cross(y)
	return mat3{x.X, y.X, z.X, x.Y, y.Y, z.Y, x.Z, y.Z, z.Z}
}

func deg(d float64) float64 { return d * math.Pi / 180 }

func clamp(v, lo, hi float64) float64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
