package codec

import "math"

// darkOffset returns DARK's sub-pixel offset at the integer maximum (ix, iy) of joint j.
//
// The channel is smoothed with a gaussian (so that a network's irregular peak is close to a
// gaussian again), its log is approximated by the quadratic through the 3×3 stencil around the
// maximum, and one Newton step moves to the quadratic's peak. The log of a gaussian is exactly
// quadratic, so a sub-pixel-centred gaussian target is recovered to rounding error.
//
// Only the nine stencil values are smoothed, and the blur kernel shrinks near the borders so that
// it never reaches outside the map: padding (with zeros, or by mirroring) would pull peaks near
// an edge inwards or outwards by up to a pixel. At the first or last row or column the stencil
// moves inside and the quadratic is evaluated at the maximum. An offset is used only where the
// Hessian is negative definite and the step stays within one pixel; otherwise it is 0.
func (d *decoder) darkOffset(j, ix, iy int) (ox, oy float64) {
	w, h := d.c.HeatW, d.c.HeatH
	cx, cy := min(max(ix, 1), w-2), min(max(iy, 1), h-2)
	rb := min(d.c.blurKernel()/2, cx-1, w-2-cx, cy-1, h-2-cy)
	kernel := d.kernels[rb]
	var f [3][3]float64 // f[dy+1][dx+1] = log of the blurred value at (cx+dx, cy+dy)
	peak := 0.0
	for sy := -1; sy <= 1; sy++ {
		for sx := -1; sx <= 1; sx++ {
			v := d.blurAt(j, cx+sx, cy+sy, kernel)
			f[sy+1][sx+1] = v
			peak = max(peak, v)
		}
	}
	if !(peak > 0) {
		return 0, 0
	}
	floor := peak * 1e-10
	for i := range f {
		for j := range f[i] {
			f[i][j] = math.Log(max(f[i][j], floor))
		}
	}
	dxx := f[1][2] - 2*f[1][1] + f[1][0]
	dyy := f[2][1] - 2*f[1][1] + f[0][1]
	dxy := 0.25 * (f[2][2] - f[0][2] - f[2][0] + f[0][0])
	// Gradient of the quadratic at the maximum, which is (ix-cx, iy-cy) from the stencil centre.
	ex, ey := float64(ix-cx), float64(iy-cy)
	dx := 0.5*(f[1][2]-f[1][0]) + ex*dxx + ey*dxy
	dy := 0.5*(f[2][1]-f[0][1]) + ey*dyy + ex*dxy
	det := dxx*dyy - dxy*dxy
	if !(dxx < 0) || !(det > 0) {
		return 0, 0
	}
	// offset = -H⁻¹ ∇.
	ox = -(dyy*dx - dxy*dy) / det
	oy = -(-dxy*dx + dxx*dy) / det
	if !(math.Abs(ox) <= 1) || !(math.Abs(oy) <= 1) {
		return 0, 0
	}
	return ox, oy
}

// blurAt returns the separable gaussian blur of joint j's heatmap at (x, y); the caller keeps
// the kernel inside the map.
func (d *decoder) blurAt(j, x, y int, kernel []float64) float64 {
	r := len(kernel) / 2
	w, k := d.c.HeatW, d.k
	s := 0.0
	for i, ky := range kernel {
		base := ((y+i-r)*w+x-r)*k + j
		t := 0.0
		for n, kx := range kernel {
			t += kx * float64(d.hm[base+n*k])
		}
		s += ky * t
	}
	return s
}

// gaussianKernels returns, for every radius 0..r, the normalised 1D gaussian of size 2·radius+1
// with OpenCV's default sigma for that size, 0.3·(radius - 1) + 0.8.
func gaussianKernels(r int) [][]float64 {
	ks := make([][]float64, r+1)
	ks[0] = []float64{1}
	for rad := 1; rad <= r; rad++ {
		sigma := 0.3*float64(rad-1) + 0.8
		k := make([]float64, 2*rad+1)
		sum := 0.0
		for i := range k {
			d := float64(i - rad)
			k[i] = math.Exp(-d * d / (2 * sigma * sigma))
			sum += k[i]
		}
		for i := range k {
			k[i] /= sum
		}
		ks[rad] = k
	}
	return ks
}
