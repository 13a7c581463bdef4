package distill

import "fmt"

// Binarization is ODKD's rule for teacher heatmaps (see the package documentation): a pixel is 1
// where the teacher's channel reaches Threshold times its peak, provided the peak reaches Floor.
type Binarization struct {
	// Threshold τ, relative to the channel's peak, in (0, 1].
	Threshold float64 `json:"threshold"`
	// Floor is the smallest peak still taken as a detection (the channel is all 0 below it).
	Floor float64 `json:"floor"`
}

// DefaultBinarization returns τ = 0.5 (the half-maximum disc of the teacher's blob) and floor
// 0.2 (a fifth of a GT peak). The floor matters: an unconverged teacher's nearly flat channel
// (values 0.06–0.09 everywhere in the first ablation, with a floor of 0.05) has almost every
// pixel above half its peak and would binarize to an all-ones target.
func DefaultBinarization() Binarization { return Binarization{Threshold: 0.5, Floor: 0.2} }

// Validate reports whether the rule is usable.
func (b Binarization) Validate() error {
	if !(b.Threshold > 0 && b.Threshold <= 1) {
		return fmt.Errorf("binarization threshold %v outside (0, 1]", b.Threshold)
	}
	if !(b.Floor >= 0) {
		return fmt.Errorf("binarization floor %v is negative", b.Floor)
	}
	return nil
}

// Apply writes into dst the binarized heatmaps of src, n samples of [h·w, k] each.
func (b Binarization) Apply(dst, src []float32, n, k int) error {
	if err := b.Validate(); err != nil {
		return err
	}
	if n <= 0 || k <= 0 || len(src)%(n*k) != 0 || len(dst) != len(src) {
		return fmt.Errorf("binarize: %d values, %d outputs, %d samples × %d channels", len(src), len(dst), n, k)
	}
	pix := len(src) / (n * k)
	peaks := make([]float32, k)
	for s := range n {
		img := src[s*pix*k : (s+1)*pix*k]
		out := dst[s*pix*k : (s+1)*pix*k]
		for c := range k {
			peaks[c] = img[c]
		}
		for p := 1; p < pix; p++ {
			for c := range k {
				if v := img[p*k+c]; v > peaks[c] {
					peaks[c] = v
				}
			}
		}
		for p := range pix {
			for c := range k {
				v := float32(0)
				if float64(peaks[c]) >= b.Floor && peaks[c] > 0 && float64(img[p*k+c]) >= b.Threshold*float64(peaks[c]) {
					v = 1
				}
				out[p*k+c] = v
			}
		}
	}
	return nil
}

// DilateMask writes into dst the 3×3 max-pool (edge-clamped) of n masks of h×w values in src
// (values outside [0, 1] are clamped); dst and src must not overlap.
func DilateMask(dst, src []float32, n, h, w int) error {
	if n <= 0 || h <= 0 || w <= 0 || len(src) != n*h*w || len(dst) != len(src) {
		return fmt.Errorf("dilate mask: %d values, %d outputs, want %d×%d×%d", len(src), len(dst), n, h, w)
	}
	for s := range n {
		m := src[s*h*w : (s+1)*h*w]
		o := dst[s*h*w : (s+1)*h*w]
		for y := range h {
			for x := range w {
				best := float32(0)
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						yy, xx := y+dy, x+dx
						if yy < 0 || yy >= h || xx < 0 || xx >= w {
							continue
						}
						if v := m[yy*w+xx]; v > best {
							best = v
						}
					}
				}
				o[y*w+x] = min(best, 1)
			}
		}
	}
	return nil
}
