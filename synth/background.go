package synth

import (
	"math"
	"math/rand/v2"
)

// shape2DKind is the kind of a flat clutter shape painted on the background.
type shape2DKind uint8

const (
	shapeRect shape2DKind = iota
	shapeEllipse
	shapeStick // a thick segment, limb-like
)

// shape2D is a clutter shape in pixel coordinates of the output image, in relative units of
// the image size so that it scales with the resolution.
type shape2D struct {
	Kind           shape2DKind
	X0, Y0, X1, Y1 float64 // rect corners, ellipse box or stick ends (fractions of W, H)
	Thick          float64 // stick radius (fraction of W)
	Mat            material
}

// background is the scene behind the people: a wall at distance WallZ and a textured floor,
// value-noise shading, and flat clutter shapes.
type background struct {
	WallZ                float64 // mm
	WallTop, WallBottom  [3]float64
	Wall                 material // pattern on the wall (mm units)
	Floor                material
	NoiseAmp, NoiseScale float64 // mm
	Fog                  [3]float64
	FogDist              float64
	Shapes               []shape2D
	Salt                 uint32
}

// sampleBackground draws a background whose colours overlap those of the people. Its flat
// clutter holds rectangles and ellipses, and with limbs also sticks shaped like arms and legs and
// more skin-coloured shapes.
func sampleBackground(rng *rand.Rand, limbs bool) background {
	bg := background{
		WallZ:      6000 + 20000*rng.Float64(),
		WallTop:    randomColour(rng),
		WallBottom: randomColour(rng),
		NoiseAmp:   0.1 + 0.35*rng.Float64(),
		NoiseScale: 1.5 + 6*rng.Float64(),
		Fog:        randomColour(rng),
		FogDist:    8000 + 30000*rng.Float64(),
		Salt:       rng.Uint32(),
	}
	bg.Wall = sampleCloth(rng)
	bg.Wall.Period = 300 + 2500*rng.Float64()
	bg.Wall.Salt = rng.Uint32()
	bg.Floor = sampleCloth(rng)
	bg.Floor.Period = 250 + 900*rng.Float64()
	bg.Floor.Salt = rng.Uint32()
	if rng.Float64() < 0.4 {
		bg.Floor.Tex = texChecks
	}
	n := rng.IntN(12)
	for range n {
		s := shape2D{
			Kind: shape2DKind(rng.IntN(2)), // rectangle or ellipse
			X0:   rng.Float64()*1.2 - 0.1, Y0: rng.Float64()*1.2 - 0.1,
			Thick: 0.01 + 0.04*rng.Float64(),
			Mat:   sampleCloth(rng),
		}
		size := 0.05 + 0.4*rng.Float64()
		s.X1 = s.X0 + size*(rng.Float64()*2-1)
		s.Y1 = s.Y0 + size*(rng.Float64()*2-1)
		skin := 0.1
		if limbs {
			s.Kind = shape2DKind(rng.IntN(3))
			skin = 0.3
		}
		if rng.Float64() < skin { // skin-coloured clutter: people are not the only skin-toned things
			s.Mat = material{Base: skinTones[rng.IntN(len(skinTones))], Tex: texPlain}
		}
		s.Mat.Period = 4 + 20*rng.Float64() // pixels
		s.Mat.Salt = rng.Uint32()
		bg.Shapes = append(bg.Shapes, s)
	}
	return bg
}

// shadow is a soft dark disc on the floor under a person: centre (X, Z) on the ground plane,
// radius R (mm), darkness Dark at the centre (0–1).
type shadow struct{ X, Z, R, Dark float64 }

// paint fills pix (RGB float, row-major W×H×3) with the background seen by cam. The scene is
// evaluated on a grid of half the resolution and interpolated bilinearly (a quarter of the cost;
// the background is smooth at that scale), then the clutter shapes are drawn at full resolution.
// grid is scratch space of (W/2+2)·(H/2+2)·3 values.
func (bg *background) paint(cam *camera, pix, grid []float32, shadows []shadow) {
	w, h := cam.Width, cam.Height
	gw, gh := w/2+2, h/2+2
	for gy := range gh {
		for gx := range gw {
			c := bg.at(cam, float64(2*gx), float64(2*gy), shadows)
			i := (gy*gw + gx) * 3
			grid[i], grid[i+1], grid[i+2] = float32(c[0]), float32(c[1]), float32(c[2])
		}
	}
	// Grid point (gx, gy) sits at pixel coordinates (2gx, 2gy); pixel centres are at x + 0.5.
	for y := range h {
		fy := (float64(y) + 0.5) / 2
		y0 := int(fy)
		ty := float32(fy - float64(y0))
		for x := range w {
			fx := (float64(x) + 0.5) / 2
			x0 := int(fx)
			tx := float32(fx - float64(x0))
			a := (y0*gw + x0) * 3
			b := a + gw*3
			o := (y*w + x) * 3
			for c := range 3 {
				top := grid[a+c] + (grid[a+3+c]-grid[a+c])*tx
				bot := grid[b+c] + (grid[b+3+c]-grid[b+c])*tx
				pix[o+c] = top + (bot-top)*ty
			}
		}
	}
	bg.paintShapes(w, h, pix)
}

// paintShapes draws the clutter shapes over pix.
func (bg *background) paintShapes(w, h int, pix []float32) {
	for k := range bg.Shapes {
		bg.Shapes[k].paint(w, h, pix)
	}
}

// at returns the background colour seen through pixel coordinates (x, y).
func (bg *background) at(cam *camera, x, y float64, shadows []shadow) [3]float64 {
	dw := cam.rot.applyT(cam.ray(x, y)) // world direction (world = rotᵀ·camera)
	var c [3]float64
	tWall := math.Inf(1)
	if dw.Z > 1e-6 {
		tWall = bg.WallZ / dw.Z
	}
	tFloor := math.Inf(1)
	if dw.Y < -1e-6 {
		tFloor = cam.Elevation / -dw.Y
	}
	var dist float64
	if tFloor < tWall {
		p := dw.scale(tFloor)
		c = bg.Floor.colourAt2D(p.X, p.Z)
		dist = tFloor
		for _, sh := range shadows {
			if d2 := (sq(p.X-sh.X) + sq(p.Z-sh.Z)) / (sh.R * sh.R); d2 < 1 {
				c = scaleColour(c, 1-sh.Dark*(1-d2)*(1-d2))
			}
		}
	} else {
		t := tWall
		if math.IsInf(t, 1) {
			t = 1e6
		}
		p := dw.scale(t)
		p.Y += cam.Elevation
		g := clamp(p.Y/6000, 0, 1)
		c = mix(bg.WallBottom, bg.WallTop, g)
		c = mix(c, bg.Wall.colourAt2D(p.X, p.Y), 0.5)
		dist = t
	}
	n := valueNoise2(dw.X*bg.NoiseScale, dw.Y*bg.NoiseScale, bg.Salt)
	s := 1 + bg.NoiseAmp*(2*n-1)
	f := dist / (dist + bg.FogDist) // haze grows with distance
	c = mix(c, bg.Fog, f*0.6)
	return [3]float64{c[0] * s, c[1] * s, c[2] * s}
}

// paint draws the shape over pix.
func (s *shape2D) paint(w, h int, pix []float32) {
	fw, fh := float64(w), float64(h)
	x0, y0, x1, y1 := s.X0*fw, s.Y0*fh, s.X1*fw, s.Y1*fh
	r := s.Thick * fw
	lox, hix := math.Min(x0, x1), math.Max(x0, x1)
	loy, hiy := math.Min(y0, y1), math.Max(y0, y1)
	if s.Kind == shapeStick {
		lox, hix, loy, hiy = lox-r, hix+r, loy-r, hiy+r
	}
	ix0, ix1 := max(0, int(lox)), min(w-1, int(hix))
	iy0, iy1 := max(0, int(loy)), min(h-1, int(hiy))
	cx, cy := (x0+x1)/2, (y0+y1)/2
	rx, ry := math.Max(math.Abs(x1-x0)/2, 1), math.Max(math.Abs(y1-y0)/2, 1)
	dx, dy := x1-x0, y1-y0
	ll := dx*dx + dy*dy
	for y := iy0; y <= iy1; y++ {
		for x := ix0; x <= ix1; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			inside := true
			switch s.Kind {
			case shapeEllipse:
				inside = sq((px-cx)/rx)+sq((py-cy)/ry) <= 1
			case shapeStick:
				t := 0.0
				if ll > 0 {
					t = clamp(((px-x0)*dx+(py-y0)*dy)/ll, 0, 1)
				}
				inside = sq(px-x0-t*dx)+sq(py-y0-t*dy) <= r*r
			}
			if !inside {
				continue
			}
			c := s.Mat.colourAt2D(px, py)
			i := (y*w + x) * 3
			pix[i], pix[i+1], pix[i+2] = float32(c[0]), float32(c[1]), float32(c[2])
		}
	}
}
