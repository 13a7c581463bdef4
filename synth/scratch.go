package synth

// scratch holds the per-image working buffers, reused across images to spare the garbage
// collector (a 256×256 image needs about 2 MB of them).
type scratch struct {
	pix, tmp, grid []float32
	zb             zbuffer
}

// grow returns s resized to n elements, reusing its storage when it is large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// getScratch returns working buffers for a w×h image from the renderer's pool.
func (r *Renderer) getScratch(w, h int) *scratch {
	sc, _ := r.pool.Get().(*scratch)
	if sc == nil {
		sc = &scratch{}
	}
	n := w * h
	sc.pix = grow(sc.pix, 3*n)
	sc.tmp = grow(sc.tmp, 3*n)
	sc.grid = grow(sc.grid, 3*(w/2+2)*(h/2+2))
	sc.zb = zbuffer{W: w, H: h, Depth: grow(sc.zb.Depth, n), Prim: grow(sc.zb.Prim, n)}
	return sc
}
