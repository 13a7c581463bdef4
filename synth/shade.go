package synth

import (
	"image"
	"math"
)

// shade paints every pixel covered by a part with its Lambert-lit albedo over the background.
func shade(s *sceneSpec, prims []prim, zb *zbuffer, pix []float32) {
	cam := &s.Cam
	w := cam.Width
	for i, k := range zb.Prim {
		if k < 0 {
			continue
		}
		x, y := i%w, i/w
		c := s.lit(&prims[k], cam.ray(float64(x)+0.5, float64(y)+0.5), float64(zb.Depth[i]))
		pix[i*3], pix[i*3+1], pix[i*3+2] = c[0], c[1], c[2]
	}
}

// lit returns the colour of part p seen along ray d (Z = 1) at depth t.
func (s *sceneSpec) lit(p *prim, d vec3, t float64) [3]float32 {
	pt := d.scale(t)
	n := p.normal(pt)
	if n.dot(d) > 0 {
		n = n.scale(-1)
	}
	diff := math.Max(0, n.dot(s.Light))
	// A little light from the camera side keeps the unlit side readable.
	fill := 0.15 * math.Max(0, -n.dot(d.unit()))
	l := s.Ambient + (1-s.Ambient)*diff + fill
	a := p.albedo(pt)
	return [3]float32{float32(a[0] * l * s.Tint[0]), float32(a[1] * l * s.Tint[1]), float32(a[2] * l * s.Tint[2])}
}

// antialias re-renders the pixels on silhouette edges (where the nearest part differs from a
// neighbour's) with 4 sub-pixel rays, tested against the parts seen in the 3×3 neighbourhood,
// over the background bg (the image before shading). Labels keep the pixel-centre samples.
func antialias(s *sceneSpec, prims []prim, zb *zbuffer, pix, bg []float32) {
	cam := &s.Cam
	w, h := cam.Width, cam.Height
	var cand [9]int32
	offs := [4][2]float64{{0.25, 0.25}, {0.75, 0.25}, {0.25, 0.75}, {0.75, 0.75}}
	for y := range h {
		for x := range w {
			i := y*w + x
			k0 := zb.Prim[i]
			if (x == 0 || zb.Prim[i-1] == k0) && (x == w-1 || zb.Prim[i+1] == k0) &&
				(y == 0 || zb.Prim[i-w] == k0) && (y == h-1 || zb.Prim[i+w] == k0) {
				continue // not on an edge
			}
			n := 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx < 0 || yy < 0 || xx >= w || yy >= h {
						continue
					}
					k := zb.Prim[yy*w+xx]
					seen := false
					for _, c := range cand[:n] {
						seen = seen || c == k
					}
					if !seen {
						cand[n] = k
						n++
					}
				}
			}
			var acc [3]float32
			for _, o := range offs {
				d := cam.ray(float64(x)+o[0], float64(y)+o[1])
				best, bt := int32(-1), math.Inf(1)
				for _, k := range cand[:n] {
					if k < 0 {
						continue
					}
					if t, ok := prims[k].hit(d); ok && t >= nearPlane && t < bt {
						best, bt = k, t
					}
				}
				c := [3]float32{bg[i*3], bg[i*3+1], bg[i*3+2]}
				if best >= 0 {
					c = s.lit(&prims[best], d, bt)
				}
				acc[0] += c[0] / 4
				acc[1] += c[1] / 4
				acc[2] += c[2] / 4
			}
			pix[i*3], pix[i*3+1], pix[i*3+2] = acc[0], acc[1], acc[2]
		}
	}
}

// finish blurs (optionally, using tmp, as large as pix, as scratch), adds sensor noise and
// quantizes the float image into an RGBA image.
func finish(pix, tmp []float32, w, h int, blur bool, noise float64, salt uint32) *image.RGBA {
	if blur {
		blur121(pix, tmp, w, h)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	amp := float32(noise * 255 / 512) // one hash gives three 10-bit noise values per pixel
	for i := 0; i < w*h; i++ {
		hv := uint32(hash3(i, 0, 0, salt) * (1 << 32))
		for c := range 3 {
			n := float32(int32(hv>>(10*c))&1023-512) * amp / 512
			v := pix[i*3+c]*255 + n + 0.5
			switch {
			case v < 0:
				v = 0
			case v > 255:
				v = 255
			}
			img.Pix[i*4+c] = uint8(v)
		}
		img.Pix[i*4+3] = 255
	}
	return img
}

// blur121 applies the separable [1 2 1]/4 kernel in place, with clamped borders; tmp is scratch
// space as large as pix.
func blur121(pix, tmp []float32, w, h int) {
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			l, r := max(x-1, 0), min(x+1, w-1)
			for c := range 3 {
				tmp[(y*w+x)*3+c] = 0.25*pix[(y*w+l)*3+c] + 0.5*pix[(y*w+x)*3+c] + 0.25*pix[(y*w+r)*3+c]
			}
		}
	}
	for y := 0; y < h; y++ {
		u, d := max(y-1, 0), min(y+1, h-1)
		for x := 0; x < w; x++ {
			for c := range 3 {
				pix[(y*w+x)*3+c] = 0.25*tmp[(u*w+x)*3+c] + 0.5*tmp[(y*w+x)*3+c] + 0.25*tmp[(d*w+x)*3+c]
			}
		}
	}
}
