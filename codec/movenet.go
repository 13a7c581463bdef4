package codec

import (
	"fmt"
	"math"
)

// OffsetHeads are the outputs of a network with an offset head (nets.Heads.Offsets) for one
// sample, channel-last like every heatmap here.
type OffsetHeads struct {
	// Heatmaps are the [h, w, K] joint heatmaps (probabilities: MoveNet's sigmoid is applied).
	Heatmaps []float32
	// Offsets are [h, w, 2K]: at each cell, joint k's position relative to the cell in heatmap
	// cells, y in channel 2k and x in 2k+1.
	Offsets []float32
	// Centre, when not nil, are MoveNet's [h, w, 1] person-centre logits and Regression its
	// [h, w, 2K] joint regression from the centre cell (y in 2k, x in 2k+1, in cells). With
	// both, each joint's heatmap is weighted by the inverse distance to the regressed joint of
	// the most central person before its arg-max, as MoveNet's own decoding does; without them the
	// plain arg-max is taken.
	Centre, Regression []float32
}

// MoveNet's decoding constants, as the shipped models store them (float16, so 1.8 is
// 1.7998046875): the spread added to a distance before it divides a score.
const moveNetSpread float32 = 1.7998046875

// DecodeOffsets decodes one sample of a network with an offset head: joint k is the arg-max cell
// of its heatmap (weighted as OffsetHeads.Centre explains when the centre and regression heads
// are given) plus that cell's offset, in input-crop pixels by the codec's scaling, scored by the
// heatmap's value there. The arithmetic is float32, in the order of MoveNet's graph, so that an
// imported MoveNet decodes to the keypoints of the original model. Prediction.HX, HY is the
// arg-max cell. It works for any kind, but only MoveNet's trains offsets.
func (c *Codec) DecodeOffsets(o OffsetHeads, k int) ([]Prediction, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	w, h := c.HeatW, c.HeatH
	n := w * h
	switch {
	case k <= 0 || len(o.Heatmaps) != n*k:
		return nil, fmt.Errorf("codec: decode offsets: heatmaps have %d values, want %dx%dx%d", len(o.Heatmaps), h, w, k)
	case len(o.Offsets) != n*2*k:
		return nil, fmt.Errorf("codec: decode offsets: offsets have %d values, want %dx%dx%d", len(o.Offsets), h, w, 2*k)
	case (o.Centre == nil) != (o.Regression == nil):
		return nil, fmt.Errorf("codec: decode offsets: the centre and regression heads go together")
	case o.Centre != nil && (len(o.Centre) != n || len(o.Regression) != n*2*k):
		return nil, fmt.Errorf("codec: decode offsets: centre %d and regression %d values, want %dx%d and %dx%dx%d",
			len(o.Centre), len(o.Regression), h, w, h, w, 2*k)
	}
	var prior []float32 // per joint, the regressed (y, x) in cells
	if o.Centre != nil {
		ci := argmax(n, func(i int) float32 { return sigmoid32(o.Centre[i]) * MoveNetCentreWeight(i/w, i%w, h, w) })
		if ci >= 0 {
			cy, cx := float32(ci/w), float32(ci%w)
			prior = make([]float32, 2*k)
			for j := range k {
				prior[2*j] = cy + o.Regression[ci*2*k+2*j]
				prior[2*j+1] = cx + o.Regression[ci*2*k+2*j+1]
			}
		}
	}
	preds := make([]Prediction, k)
	for j := range preds {
		score := func(i int) float32 { return o.Heatmaps[i*k+j] }
		if prior != nil {
			py, px := prior[2*j], prior[2*j+1]
			score = func(i int) float32 {
				dy, dx := float32(i/w)-py, float32(i%w)-px
				d := float32(math.Sqrt(float64(dy*dy + dx*dx)))
				return o.Heatmaps[i*k+j] / (d + moveNetSpread)
			}
		}
		bi := argmax(n, score)
		if bi < 0 {
			preds[j] = Prediction{Score: math.Inf(-1)}
			continue
		}
		iy, ix := bi/w, bi%w
		fy := float32(iy) + o.Offsets[bi*2*k+2*j]
		fx := float32(ix) + o.Offsets[bi*2*k+2*j+1]
		x, y := c.HeatmapToInput(float64(fx), float64(fy))
		preds[j] = Prediction{X: x, Y: y, Score: float64(o.Heatmaps[bi*k+j]), HX: ix, HY: iy}
	}
	return preds, nil
}

// argmax returns the first index in [0, n) of the largest v(i), skipping NaNs; -1 when none is a
// number.
func argmax(n int, v func(int) float32) int {
	best, at := float32(math.Inf(-1)), -1
	for i := range n {
		if x := v(i); x > best || (at < 0 && x == best) {
			best, at = x, i
		}
	}
	return at
}

func sigmoid32(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// MoveNetCentreWeight is the weight MoveNet's decoding gives a person centre at cell (y, x) of an
// h×w map: 1/(distance to the map's centre cell (h/2, w/2) + 1.8), rounded to float16 as the
// shipped models store it. It prefers the person nearest the middle of the crop.
func MoveNetCentreWeight(y, x, h, w int) float32 {
	dy, dx := float32(y-h/2), float32(x-w/2)
	d := float32(math.Sqrt(float64(float32(dy*dy) + float32(dx*dx))))
	return roundFloat16(1 / (d + float32(1.8)))
}

// roundFloat16 rounds a normal float32 to the nearest float16 value (ties to even), as a float32.
func roundFloat16(v float32) float32 {
	b := math.Float32bits(v)
	const drop = 13 // float32 has 23 mantissa bits, float16 10
	half := uint32(1) << (drop - 1)
	lsb := (b >> drop) & 1
	b += half - 1 + lsb
	return math.Float32frombits(b &^ (1<<drop - 1))
}

// OffsetTargets writes the offset head's targets for one sample: for each joint k with
// visibility > 0 inside the map, at every cell within radius cells (on both axes) of the joint's
// nearest cell, the joint's position relative to the cell (y into offsets channel 2k, x into
// 2k+1) with mask 1 in channel k of mask; 0 elsewhere. offsets is [h, w, 2K], mask [h, w, K].
// This is what train.OffsetL1 computes in the training graph.
func (c *Codec) OffsetTargets(kps []Keypoint, radius int, offsets, mask []float32) error {
	if err := c.Validate(); err != nil {
		return err
	}
	k, w, h := len(kps), c.HeatW, c.HeatH
	if k == 0 || len(offsets) != w*h*2*k || len(mask) != w*h*k || radius < 0 {
		return fmt.Errorf("codec: offset targets: %d offsets and %d mask values for %d joints on %dx%d (radius %d)",
			len(offsets), len(mask), k, w, h, radius)
	}
	clear(offsets)
	clear(mask)
	for j, kp := range kps {
		if !(kp.V > 0) || !finite(kp.X) || !finite(kp.Y) {
			continue
		}
		hx, hy := c.InputToHeatmap(kp.X, kp.Y)
		cx, cy := int(math.Floor(hx+0.5)), int(math.Floor(hy+0.5))
		for y := max(cy-radius, 0); y <= min(cy+radius, h-1); y++ {
			for x := max(cx-radius, 0); x <= min(cx+radius, w-1); x++ {
				i := y*w + x
				offsets[i*2*k+2*j] = float32(hy - float64(y))
				offsets[i*2*k+2*j+1] = float32(hx - float64(x))
				mask[i*k+j] = 1
			}
		}
	}
	return nil
}

// MoveNetScale returns the factor by which MoveNet's graph maps heatmap cells to 0–1 of an
// input whose heatmaps have n cells on an axis: 1/n rounded to float16, as the shipped models
// store it (1/48 is 0.0208282…, not 0.0208333…).
func MoveNetScale(n int) float32 { return roundFloat16(float32(1 / float64(n))) }
