package ops

// The depthwise kernel with an input dilation along the columns (posedistill's fork; see FORK.md,
// "Training steps"): the input gradient of a strided depthwise convolution is a stride-1 convolution
// of the output's gradient dilated by the stride. Without this, every output pixel of it listed its
// own taps (two divisions each) and ran them through depthwisePixel, for a quarter of the taps valid.
//
// With a dilation s, output column j reads dilated column j + kx − lo, an input column only when
// that is a multiple of s: the valid kx are the same for every column of one phase j mod s, and from
// one such column to the next (j + s) each tap's input column moves by one. So, per output row and
// phase, the interior columns (whose valid taps all fall inside the input) are one depthwiseRow call
// over a contiguous scratch row, copied out to every s-th pixel; the few border columns list their
// own taps as before.

import "github.com/gomlx/compute/internal/gobackend"

// forwardDilatedColumns is forward for stride 1 along the columns and an input dilation above 1.
func (d *depthwise) forwardDilatedColumns(backend *gobackend.Backend, x, k, out []float32) {
	s, lo := d.dil[1], d.lo[1]
	maxTaps := d.kh * d.kw
	rows := d.n * d.oh
	// Per phase: the valid kx, each tap's input-column offset from the phase's column index m (output
	// column φ + s·m), and the interior range [m0, m1) of m.
	type phase struct {
		kxs, offs []int
		m0, m1    int
	}
	phases := make([]phase, s)
	for φ := range s {
		ph := &phases[φ]
		count := 0
		if φ < d.ow {
			count = (d.ow - φ + s - 1) / s
		}
		minOff, maxOff := 0, 0
		for kx := range d.kw {
			p := φ + kx - lo
			if p%s != 0 {
				continue
			}
			off := p / s // exact: p is a multiple of s
			if len(ph.kxs) == 0 || off < minOff {
				minOff = off
			}
			if len(ph.kxs) == 0 || off > maxOff {
				maxOff = off
			}
			ph.kxs = append(ph.kxs, kx)
			ph.offs = append(ph.offs, off)
		}
		ph.m0, ph.m1 = max(0, -minOff), min(count, d.w-maxOff)
		if len(ph.kxs) == 0 {
			ph.m0, ph.m1 = 0, count // no tap: zeros
		}
		if ph.m1 < ph.m0 {
			ph.m0, ph.m1 = 0, 0
		}
	}
	parallelRows(backend, rows, len(out), func(start, end, _ int) {
		xoffs := make([]int, maxTaps)
		koffs := make([]int, maxTaps)
		scratch := make([]float32, ((d.ow+s-1)/s)*d.c)
		for row := start; row < end; row++ {
			b, i := row/d.oh, row%d.oh
			orow := out[(b*d.oh+i)*d.ow*d.c:][:d.ow*d.c]
			for φ := range s {
				ph := &phases[φ]
				if ph.m1 > ph.m0 {
					nt := 0
					for ky := range d.kh {
						r := d.source(0, i, ky)
						if r < 0 {
							continue
						}
						for t, kx := range ph.kxs {
							xoffs[nt] = ((b*d.h+r)*d.w + ph.offs[t]) * d.c
							koffs[nt] = (ky*d.kw + kx) * d.c
							nt++
						}
					}
					run := scratch[:(ph.m1-ph.m0)*d.c]
					if nt > 0 {
						depthwiseRowTaps(run, x, k, xoffs[:nt], koffs[:nt], ph.m0*d.c, d.c, d.c)
					} else {
						clear(run)
					}
					for m := ph.m0; m < ph.m1; m++ {
						copy(orow[(φ+s*m)*d.c:][:d.c], run[(m-ph.m0)*d.c:])
					}
				}
				// Border columns of this phase.
				for j := φ; j < d.ow; j += s {
					if m := (j - φ) / s; m >= ph.m0 && m < ph.m1 {
						continue
					}
					nt := d.taps(b, i, j, xoffs, koffs)
					depthwisePixel(orow[j*d.c:][:d.c], x, k, xoffs[:nt], koffs[:nt])
				}
			}
		}
	}, numChunks(backend, len(out)))
}
