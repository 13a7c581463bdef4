package distill

import "fmt"

// resizeNHWC resamples src [n, h, w, c] to [n, oh, ow, c] bilinearly with aligned pixel centres
// (the half-pixel rule of image resizing), edge-clamped.
func resizeNHWC(src []float32, n, h, w, c, oh, ow int) ([]float32, error) {
	if n <= 0 || h <= 0 || w <= 0 || c <= 0 || oh <= 0 || ow <= 0 || len(src) != n*h*w*c {
		return nil, fmt.Errorf("resize: %d values for %d×%d×%d×%d to %d×%d", len(src), n, h, w, c, oh, ow)
	}
	if oh == h && ow == w {
		return append([]float32(nil), src...), nil
	}
	out := make([]float32, n*oh*ow*c)
	sy, sx := float64(h)/float64(oh), float64(w)/float64(ow)
	for s := range n {
		in := src[s*h*w*c:]
		o := out[s*oh*ow*c:]
		for y := range oh {
			fy := (float64(y)+0.5)*sy - 0.5
			y0, ty := split(fy, h)
			y1 := min(y0+1, h-1)
			for x := range ow {
				fx := (float64(x)+0.5)*sx - 0.5
				x0, tx := split(fx, w)
				x1 := min(x0+1, w-1)
				for ch := range c {
					a := float64(in[(y0*w+x0)*c+ch])*(1-tx) + float64(in[(y0*w+x1)*c+ch])*tx
					b := float64(in[(y1*w+x0)*c+ch])*(1-tx) + float64(in[(y1*w+x1)*c+ch])*tx
					o[(y*ow+x)*c+ch] = float32(a*(1-ty) + b*ty)
				}
			}
		}
	}
	return out, nil
}

// split returns the clamped integer cell of coordinate f in [0, size) and the fraction past it.
func split(f float64, size int) (int, float64) {
	if f <= 0 {
		return 0, 0
	}
	if f >= float64(size-1) {
		return size - 1, 0
	}
	i := int(f)
	return i, f - float64(i)
}
