package synth

import "math"

// primKind is the shape of a body or scene volume.
type primKind uint8

const (
	capsule   primKind = iota // segment A–B swept by a sphere of radius R
	ellipsoid                 // centre C, axes the columns of Frame, half-lengths Radii
)

// feature is a coloured spot on a part's surface (eyes, mouth), in the part's local frame.
type feature struct {
	Pos    vec3
	Radius float64
	Colour [3]float64
}

// prim is one volume of the scene. Its geometry is in camera coordinates (mm) once placed.
type prim struct {
	Kind primKind
	A, B vec3    // capsule ends
	R    float64 // capsule radius
	C    vec3    // ellipsoid centre
	// Frame orients the part: for capsules its Y axis runs from A to B. Texture coordinates are
	// taken in this frame, relative to Origin.
	Frame  mat3
	Radii  vec3
	Origin vec3

	Mat      *material
	Features []feature
	// Person is the index of the person the part belongs to, or -1 for scene clutter.
	Person int
	// Joints is the set of joints (bit i = joint i of H36MFace) that lie inside this part.
	Joints uint32

	// Derived by prepare: ellipsoid ray transform and origin in unit-sphere space.
	m  mat3
	o  vec3
	oo float64
	// Capsule helpers.
	ba         vec3
	baba, baoa float64
	oa         vec3
	oaoa       float64
}

// newCapsule returns a capsule from a to b; ref orients its texture frame.
func newCapsule(a, b vec3, r float64, ref mat3, mat *material) prim {
	return prim{Kind: capsule, A: a, B: b, R: r, Frame: frameAlong(b.sub(a), ref), Origin: a, Mat: mat}
}

// newEllipsoid returns an ellipsoid centred at c with the given frame and half-lengths.
func newEllipsoid(c vec3, frame mat3, radii vec3, mat *material) prim {
	return prim{Kind: ellipsoid, C: c, Frame: frame, Radii: radii, Origin: c, Mat: mat}
}

// transformed returns the part moved by rotation rot then translation off.
func (p prim) transformed(rot mat3, off vec3) prim {
	q := p
	q.A = rot.apply(p.A).add(off)
	q.B = rot.apply(p.B).add(off)
	q.C = rot.apply(p.C).add(off)
	q.Origin = rot.apply(p.Origin).add(off)
	q.Frame = rot.mul(p.Frame)
	return q
}

// prepare precomputes the ray-intersection terms for rays from the camera centre.
func (p *prim) prepare() {
	switch p.Kind {
	case ellipsoid:
		inv := vec3{1 / p.Radii.X, 1 / p.Radii.Y, 1 / p.Radii.Z}
		f := p.Frame
		// m = diag(inv) · Frameᵀ
		p.m = mat3{
			f[0] * inv.X, f[3] * inv.X, f[6] * inv.X,
			f[1] * inv.Y, f[4] * inv.Y, f[7] * inv.Y,
			f[2] * inv.Z, f[5] * inv.Z, f[8] * inv.Z,
		}
		p.o = p.m.apply(p.C.scale(-1))
		p.oo = p.o.dot(p.o) - 1
	case capsule:
		p.ba = p.B.sub(p.A)
		p.oa = p.A.scale(-1)
		p.baba = p.ba.dot(p.ba)
		p.baoa = p.ba.dot(p.oa)
		p.oaoa = p.oa.dot(p.oa)
	}
}

// hit returns the ray parameter t of the first intersection of the ray t·d (from the camera
// centre) with the part, or false. With d.Z = 1, t is the depth Z of the hit point.
func (p *prim) hit(d vec3) (float64, bool) {
	if p.Kind == ellipsoid {
		dd := p.m.apply(d)
		a := dd.dot(dd)
		b := p.o.dot(dd)
		h := b*b - a*p.oo
		if h < 0 {
			return 0, false
		}
		t := (-b - math.Sqrt(h)) / a
		return t, t > 0
	}
	// Capsule (after Inigo Quilez's capIntersect, with an unnormalised direction).
	dd := d.dot(d)
	bard := p.ba.dot(d)
	rdoa := d.dot(p.oa)
	a := p.baba*dd - bard*bard
	b := p.baba*rdoa - p.baoa*bard
	c := p.baba*p.oaoa - p.baoa*p.baoa - p.R*p.R*p.baba
	h := b*b - a*c
	if h < 0 {
		return 0, false
	}
	if a > 1e-9 {
		t := (-b - math.Sqrt(h)) / a
		y := p.baoa + t*bard
		if y > 0 && y < p.baba {
			return t, t > 0
		}
		oc := p.oa
		if y >= p.baba {
			oc = p.B.scale(-1)
		}
		return sphereHit(d, dd, oc, p.R)
	}
	// Ray parallel to the axis: only the caps can be hit first.
	t1, ok1 := sphereHit(d, dd, p.oa, p.R)
	t2, ok2 := sphereHit(d, dd, p.B.scale(-1), p.R)
	switch {
	case ok1 && ok2:
		return math.Min(t1, t2), true
	case ok1:
		return t1, true
	}
	return t2, ok2
}

// sphereHit intersects the ray t·d with the sphere of radius r whose centre is −oc.
func sphereHit(d vec3, dd float64, oc vec3, r float64) (float64, bool) {
	b := d.dot(oc)
	c := oc.dot(oc) - r*r
	h := b*b - dd*c
	if h < 0 {
		return 0, false
	}
	t := (-b - math.Sqrt(h)) / dd
	return t, t > 0
}

// normal returns the outward unit normal of the part at surface point x.
func (p *prim) normal(x vec3) vec3 {
	if p.Kind == ellipsoid {
		l := p.Frame.applyT(x.sub(p.C))
		g := vec3{l.X / (p.Radii.X * p.Radii.X), l.Y / (p.Radii.Y * p.Radii.Y), l.Z / (p.Radii.Z * p.Radii.Z)}
		return p.Frame.apply(g).unit()
	}
	t := clamp(x.sub(p.A).dot(p.ba)/p.baba, 0, 1)
	return x.sub(p.A.add(p.ba.scale(t))).unit()
}

// albedo returns the part's colour at surface point x.
func (p *prim) albedo(x vec3) [3]float64 {
	q := p.Frame.applyT(x.sub(p.Origin))
	for _, f := range p.Features {
		if q.sub(f.Pos).norm() < f.Radius {
			return f.Colour
		}
	}
	return p.Mat.colourAt(q)
}

// bounds returns the part's axis-aligned bounding box.
func (p *prim) bounds() (lo, hi vec3) {
	if p.Kind == capsule {
		r := vec3{p.R, p.R, p.R}
		lo = vec3{math.Min(p.A.X, p.B.X), math.Min(p.A.Y, p.B.Y), math.Min(p.A.Z, p.B.Z)}.sub(r)
		hi = vec3{math.Max(p.A.X, p.B.X), math.Max(p.A.Y, p.B.Y), math.Max(p.A.Z, p.B.Z)}.add(r)
		return lo, hi
	}
	f, r := p.Frame, p.Radii
	e := vec3{
		math.Sqrt(sq(f[0]*r.X) + sq(f[1]*r.Y) + sq(f[2]*r.Z)),
		math.Sqrt(sq(f[3]*r.X) + sq(f[4]*r.Y) + sq(f[5]*r.Z)),
		math.Sqrt(sq(f[6]*r.X) + sq(f[7]*r.Y) + sq(f[8]*r.Z)),
	}
	return p.C.sub(e), p.C.add(e)
}

func sq(x float64) float64 { return x * x }
