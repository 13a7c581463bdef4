package codec

import (
	"fmt"
	"math"
)

// Prediction is one joint decoded from a heatmap.
type Prediction struct {
	// X, Y are the refined position in input-crop pixels.
	X, Y float64
	// Score is the heatmap's maximum value.
	Score float64
	// HX, HY are the integer argmax in heatmap pixels: where location maps are read.
	HX, HY int
}

// Decode returns the K joints of one [h, w, K] heatmap: argmax, refined by the codec's
// refinement, in input-crop pixels, with the maximum as score. An Integral codec decodes by
// soft-argmax instead (see SoftArgmax). A channel holding a NaN decodes to
// its first maximal finite pixel, a channel with no finite value to (0, 0) with score -Inf.
func (c *Codec) Decode(heatmaps []float32, k int) ([]Prediction, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if k <= 0 || len(heatmaps) != c.NumHeatPixels()*k {
		return nil, fmt.Errorf("codec: decode: heatmaps have %d values, want %dx%dx%d",
			len(heatmaps), c.HeatH, c.HeatW, k)
	}
	if c.Kind == Integral {
		return c.decodeIntegral(heatmaps, k), nil
	}
	// One pass over the channel-last heatmap finds every joint's maximum.
	best := make([]float64, k)
	at := make([]int, k)
	for j := range best {
		best[j], at[j] = math.Inf(-1), -1
	}
	for i := 0; i < c.NumHeatPixels(); i++ {
		px := heatmaps[i*k : (i+1)*k]
		for j, v := range px {
			if float64(v) > best[j] { // NaN never compares greater
				best[j], at[j] = float64(v), i
			}
		}
	}
	d := c.newDecoder(heatmaps, k)
	preds := make([]Prediction, k)
	for j := range preds {
		preds[j] = d.refineJoint(j, at[j], best[j])
	}
	return preds, nil
}

// DecodeBatch decodes an [N, h, w, K] batch of heatmaps, one []Prediction per sample.
func (c *Codec) DecodeBatch(heatmaps []float32, n, k int) ([][]Prediction, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	per := c.NumHeatPixels() * k
	if n <= 0 || k <= 0 || len(heatmaps) != n*per {
		return nil, fmt.Errorf("codec: decode batch: heatmaps have %d values, want %dx%dx%dx%d",
			len(heatmaps), n, c.HeatH, c.HeatW, k)
	}
	out := make([][]Prediction, n)
	for i := range out {
		p, err := c.Decode(heatmaps[i*per:(i+1)*per], k)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		out[i] = p
	}
	return out, nil
}

// decoder refines the maxima of one [h, w, K] heatmap.
type decoder struct {
	c       *Codec
	refine  Refinement
	hm      []float32
	k       int
	kernels [][]float64 // DARK blur kernels by radius
}

// newDecoder returns the decoder of one [h, w, k] heatmap with c's refinement.
func (c *Codec) newDecoder(hm []float32, k int) decoder {
	d := decoder{c: c, refine: c.refinement(), hm: hm, k: k}
	if d.refine == RefineDARK {
		d.kernels = gaussianKernels(c.blurKernel() / 2)
	}
	return d
}

// value returns joint j's heatmap at pixel (x, y).
func (d *decoder) value(j, x, y int) float64 { return float64(d.hm[(y*d.c.HeatW+x)*d.k+j]) }

// refineJoint turns joint j's maximum (pixel index bi, value best) into a prediction.
func (d *decoder) refineJoint(j, bi int, best float64) Prediction {
	c := d.c
	w, h := c.HeatW, c.HeatH
	if bi < 0 {
		return Prediction{Score: math.Inf(-1)}
	}
	ix, iy := bi%w, bi/w
	fx, fy := float64(ix), float64(iy)
	switch d.refine {
	case RefineQuarter:
		if ix > 0 && ix < w-1 {
			fx += 0.25 * sign(d.value(j, ix+1, iy)-d.value(j, ix-1, iy))
		}
		if iy > 0 && iy < h-1 {
			fy += 0.25 * sign(d.value(j, ix, iy+1)-d.value(j, ix, iy-1))
		}
	case RefineDARK:
		ox, oy := d.darkOffset(j, ix, iy)
		fx += ox
		fy += oy
	}
	x, y := c.HeatmapToInput(fx, fy)
	return Prediction{X: x, Y: y, Score: best, HX: ix, HY: iy}
}

// sign returns -1, 0 or 1; 0 for NaN.
func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// decodeIntegral decodes one [h, w, K] map of logits by soft-argmax, joint by joint.
func (c *Codec) decodeIntegral(logits []float32, k int) []Prediction {
	w, h := c.HeatW, c.HeatH
	preds := make([]Prediction, k)
	prob := make([]float64, w*h)
	for j := range preds {
		hx, hy, ok := softArgmax(logits, j, k, w, h, prob)
		if !ok {
			preds[j] = Prediction{Score: math.Inf(-1)}
			continue
		}
		ix := min(max(int(math.Round(hx)), 0), w-1)
		iy := min(max(int(math.Round(hy)), 0), h-1)
		// The score is the probability mass within one pixel of the expectation: near 1 for a
		// confident, peaked map, low for a spread or multi-modal one.
		mass := 0.0
		for y := max(iy-1, 0); y <= min(iy+1, h-1); y++ {
			for x := max(ix-1, 0); x <= min(ix+1, w-1); x++ {
				mass += prob[y*w+x]
			}
		}
		x, y := c.HeatmapToInput(hx, hy)
		preds[j] = Prediction{X: x, Y: y, Score: mass, HX: ix, HY: iy}
	}
	return preds
}

// softArgmax returns the expectation (hx, hy) in heatmap pixels of the spatial softmax of channel
// j of a [h, w, k] map of logits, leaving the probabilities in prob (len w·h). It reports false
// when the channel holds no finite value.
func softArgmax(logits []float32, j, k, w, h int, prob []float64) (hx, hy float64, ok bool) {
	top := math.Inf(-1)
	for i := range w * h {
		if v := float64(logits[i*k+j]); v > top {
			top = v
		}
	}
	if math.IsInf(top, 0) || math.IsNaN(top) {
		return 0, 0, false
	}
	sum := 0.0
	for i := range w * h {
		v := float64(logits[i*k+j])
		p := 0.0
		if !math.IsNaN(v) {
			p = math.Exp(v - top)
		}
		prob[i] = p
		sum += p
	}
	for i := range w * h {
		prob[i] /= sum
		hx += prob[i] * float64(i%w)
		hy += prob[i] * float64(i/w)
	}
	return hx, hy, true
}
