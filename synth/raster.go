package synth

import (
	"math"
)

// zbuffer holds, per pixel, the depth of the nearest surface and the part it belongs to.
type zbuffer struct {
	W, H  int
	Depth []float32
	Prim  []int32 // index into the placed parts, −1 for background
}

// nearPlane is the closest depth (mm) a part may have to be drawn.
const nearPlane = 50

// rasterize finds, for every pixel, the nearest part along the ray through its centre: each part
// is ray-cast only over the pixels of its projected bounding box.
func rasterize(cam *camera, prims []prim, zb *zbuffer) {
	w := cam.Width
	for i := range zb.Depth {
		zb.Depth[i] = float32(math.Inf(1))
		zb.Prim[i] = -1
	}
	fx, fy, cx, cy := cam.Intr.Fx, cam.Intr.Fy, cam.Intr.Cx, cam.Intr.Cy
	for k := range prims {
		p := &prims[k]
		x0, y0, x1, y1, ok := screenBox(cam, p)
		if !ok {
			continue
		}
		for y := y0; y <= y1; y++ {
			dy := (float64(y) + 0.5 - cy) / fy
			row := y * w
			for x := x0; x <= x1; x++ {
				d := vec3{(float64(x) + 0.5 - cx) / fx, dy, 1}
				t, hit := p.hit(d)
				if !hit || t < nearPlane {
					continue
				}
				if tf := float32(t); tf < zb.Depth[row+x] {
					zb.Depth[row+x] = tf
					zb.Prim[row+x] = int32(k)
				}
			}
		}
	}
}

// screenBox returns the pixel range covered by the projection of a part's bounding box, clipped
// to the image, or false when the part is behind the camera or off screen.
func screenBox(cam *camera, p *prim) (x0, y0, x1, y1 int, ok bool) {
	lo, hi := p.bounds()
	if hi.Z < nearPlane {
		return 0, 0, 0, 0, false
	}
	w, h := cam.Width, cam.Height
	if lo.Z < nearPlane {
		return 0, 0, w - 1, h - 1, true
	}
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for c := range 8 {
		q := lo
		if c&1 != 0 {
			q.X = hi.X
		}
		if c&2 != 0 {
			q.Y = hi.Y
		}
		if c&4 != 0 {
			q.Z = hi.Z
		}
		x, y := cam.project(q)
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		minY, maxY = math.Min(minY, y), math.Max(maxY, y)
	}
	if maxX < 0 || maxY < 0 || minX >= float64(w) || minY >= float64(h) {
		return 0, 0, 0, 0, false
	}
	x0 = max(0, int(math.Floor(minX)))
	y0 = max(0, int(math.Floor(minY)))
	x1 = min(w-1, int(math.Floor(maxX)))
	y1 = min(h-1, int(math.Floor(maxY)))
	return x0, y0, x1, y1, true
}

// firstHit casts one ray and returns the nearest part and its depth, or −1.
func firstHit(prims []prim, d vec3) (int, float64) {
	best, bt := -1, math.Inf(1)
	for k := range prims {
		if t, ok := prims[k].hit(d); ok && t >= nearPlane && t < bt {
			best, bt = k, t
		}
	}
	return best, bt
}
