package codec

import "fmt"

// Flip test: the network also sees the horizontally mirrored crop; its heatmaps are flipped back
// (mirrored, left/right channels swapped) and averaged with the plain ones. Mirroring the input
// array maps input pixel x to InputW-1-x. Under UDP's scaling that is heatmap pixel HeatW-1-hx, an
// exact mirror of the heatmap; under MSRA's scaling it is HeatW-1-hx+(1-1/s) with s = InputW/HeatW
// (0.75 px for s = 4), which the customary one-pixel shift to the right approximates.

// FlipHeatmaps returns a mirrored copy of an [N, h, w, K] batch with channel k taken from channel
// flipIndex[k] (skeleton.Set.FlipIndex). With shift, every row is then moved one pixel right
// (column 0 keeps its own value), as MSRA-convention flip tests do.
func FlipHeatmaps(hm []float32, n, h, w, k int, flipIndex []int, shift bool) ([]float32, error) {
	if err := checkFlip(len(hm), n, h, w, k, flipIndex); err != nil {
		return nil, fmt.Errorf("codec: flip heatmaps: %w", err)
	}
	out := make([]float32, len(hm))
	for row := 0; row < n*h; row++ {
		src := hm[row*w*k : (row+1)*w*k]
		dst := out[row*w*k : (row+1)*w*k]
		for x := 0; x < w; x++ {
			sx := w - 1 - x
			if shift && x > 0 {
				sx++ // dst[x] = flipped[x-1]
			}
			for j, fj := range flipIndex {
				dst[x*k+j] = src[sx*k+fj]
			}
		}
	}
	return out, nil
}

// FlipHeatmaps mirrors an [N, h, w, K] batch of this codec's heatmaps back for a flip test:
// channels swapped by flipIndex, shifted one pixel right unless the codec scales like UDP.
func (c *Codec) FlipHeatmaps(hm []float32, n, k int, flipIndex []int) ([]float32, error) {
	return FlipHeatmaps(hm, n, c.HeatH, c.HeatW, k, flipIndex, !c.UDPScale())
}

// FlipLocationMaps returns a mirrored copy of an [N, h, w, 3K] batch of location maps (see
// EncodeLocations): joints swapped by flipIndex and the X maps negated, since mirroring the image
// mirrors the root-relative 3D pose in X.
func FlipLocationMaps(lm []float32, n, h, w, k int, flipIndex []int) ([]float32, error) {
	if err := checkFlip(len(lm), n, h, w, 3*k, nil); err != nil {
		return nil, fmt.Errorf("codec: flip location maps: %w", err)
	}
	if len(flipIndex) != k {
		return nil, fmt.Errorf("codec: flip location maps: flip index has %d joints, want %d", len(flipIndex), k)
	}
	ch := 3 * k
	out := make([]float32, len(lm))
	for row := 0; row < n*h; row++ {
		src := lm[row*w*ch : (row+1)*w*ch]
		dst := out[row*w*ch : (row+1)*w*ch]
		for x := 0; x < w; x++ {
			s, d := src[(w-1-x)*ch:(w-x)*ch], dst[x*ch:(x+1)*ch]
			for j, fj := range flipIndex {
				if fj < 0 || fj >= k {
					return nil, fmt.Errorf("codec: flip location maps: flip index %d out of range", fj)
				}
				d[j] = -s[fj]
				d[k+j] = s[k+fj]
				d[2*k+j] = s[2*k+fj]
			}
		}
	}
	return out, nil
}

// FlipPredictions maps joints decoded from a mirrored crop back to the unmirrored crop exactly:
// x becomes InputW-1-x and joint k takes the prediction of joint flipIndex[k]. HX follows UDP's
// exact heatmap mirror HeatW-1-HX.
func (c *Codec) FlipPredictions(preds []Prediction, flipIndex []int) ([]Prediction, error) {
	if len(flipIndex) != len(preds) {
		return nil, fmt.Errorf("codec: flip predictions: flip index has %d joints, want %d", len(flipIndex), len(preds))
	}
	out := make([]Prediction, len(preds))
	for j, fj := range flipIndex {
		if fj < 0 || fj >= len(preds) {
			return nil, fmt.Errorf("codec: flip predictions: flip index %d out of range", fj)
		}
		p := preds[fj]
		p.X = float64(c.InputW-1) - p.X
		p.HX = c.HeatW - 1 - p.HX
		out[j] = p
	}
	return out, nil
}

// checkFlip validates an [n, h, w, k] layout of size got and, when non-nil, a flip index of k joints.
func checkFlip(got, n, h, w, k int, flipIndex []int) error {
	if n <= 0 || h <= 0 || w <= 0 || k <= 0 || got != n*h*w*k {
		return fmt.Errorf("%d values for shape [%d %d %d %d]", got, n, h, w, k)
	}
	if flipIndex == nil {
		return nil
	}
	if len(flipIndex) != k {
		return fmt.Errorf("flip index has %d joints, want %d", len(flipIndex), k)
	}
	for _, fj := range flipIndex {
		if fj < 0 || fj >= k {
			return fmt.Errorf("flip index %d out of range [0, %d)", fj, k)
		}
	}
	return nil
}
