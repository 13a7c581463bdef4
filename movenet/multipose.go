package movenet

import (
	"context"
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/tfjs"
	"github.com/posedistill/posedistill/topdown"
)

// MaxPeople is the number of people MultiPose's decoding keeps: the rows of its output.
const MaxPeople = 6

// MultiPoseRow is the length of a row of MultiPose's output: 17 × (y, x, confidence), the box
// (y_min, x_min, y_max, x_max) and the pose's score.
const MultiPoseRow = NumKeypoints*3 + 5

// MultiPose's decoding constants, as the shipped graph stores them (float16 values; those stored
// as weights are checked against the graph when the estimator opens it, multiPoseConstants).
const (
	// multiPosePeakTolerance: a centre is a peak when it is within this of the 5×5 maximum
	// around it.
	multiPosePeakTolerance float32 = 1.0132789611816406e-06
	// multiPosePool is the side of the window of that maximum.
	multiPosePool = 5
	// multiPoseKeypointThreshold: the keypoints whose confidence exceeds it make the pose's score.
	multiPoseKeypointThreshold float32 = 0.126953125
	// multiPoseSpread times the shorter side of the heatmaps is the squared distance (in cells)
	// at which a heatmap's weight around a regressed joint falls to 1/e.
	multiPoseSpread float32 = 0.300048828125
)

// MultiPoseHeads are the outputs of MultiPose's network for one image, channel-last as
// ImportNet's net gives them, on h×w cells (a quarter of the input's sides).
type MultiPoseHeads struct {
	// Heatmaps are the [h, w, 17] keypoint heatmaps (probabilities: the sigmoid is applied).
	Heatmaps []float32
	// Centre are the [h, w, 1] person-centre logits.
	Centre []float32
	// Regression is [h, w, 34]: at a person's centre cell, joint k's position relative to the
	// cell in cells, y in channel 2k and x in 2k+1.
	Regression []float32
	// Offsets are [h, w, 34]: at every cell, joint k's position relative to the cell, in cells.
	Offsets []float32
	// BoxScale is [h, w, 2]: at a person's centre cell, the box's height and width in cells.
	BoxScale []float32
	// BoxOffset is [h, w, 2]: at a person's centre cell, the box's centre relative to the cell.
	BoxOffset []float32
}

// DecodeMultiPose decodes MultiPose's heads on h×w cells as MultiPose's own graph does, in
// float32 and in the graph's order, and returns the graph's output: MaxPeople rows of
// MultiPoseRow values, y and x in 0–1 of the input.
//
// The people are the MaxPeople largest person-centre probabilities among the centres that are
// peaks of their 5×5 neighbourhood (ties to the earlier cell). A person's box is the box heads'
// at its centre, clipped to the map. Joint k of person p is the arg-max, over the cells inside p's
// box, of the joint's heatmap times exp(−d²/(0.3·min(h, w))), d the distance to the joint that p's
// centre regresses (the first cell of the map when no cell inside scores above 0), plus that
// cell's offset; its confidence is the largest of those weighted heatmaps over the MaxPeople
// people at that cell. The pose's score is the centre's probability times the mean confidence of
// the joints above 0.127.
func DecodeMultiPose(o MultiPoseHeads, h, w int) ([]float32, error) {
	const k = NumKeypoints
	n := h * w
	switch {
	case h < 1 || w < 1 || n < MaxPeople:
		return nil, fmt.Errorf("movenet: decode MultiPose: %d×%d cells, want at least %d", h, w, MaxPeople)
	case len(o.Heatmaps) != n*k || len(o.Centre) != n || len(o.Regression) != n*2*k || len(o.Offsets) != n*2*k ||
		len(o.BoxScale) != n*2 || len(o.BoxOffset) != n*2:
		return nil, fmt.Errorf("movenet: decode MultiPose: heads of %d, %d, %d, %d, %d and %d values, want %d×%d × 17, 1, 34, 34, 2 and 2",
			len(o.Heatmaps), len(o.Centre), len(o.Regression), len(o.Offsets), len(o.BoxScale), len(o.BoxOffset), h, w)
	}
	// Person centres: probabilities that are peaks of their neighbourhood, the largest MaxPeople.
	prob := make([]float32, n)
	for i, v := range o.Centre {
		prob[i] = float32(1 / (1 + math.Exp(-float64(v))))
	}
	peaks := peakValues(prob, h, w)
	centres := topK(peaks, MaxPeople)

	fh, fw := float32(h), float32(w)
	type box struct{ y0, x0, y1, x1 float32 }
	boxes := make([]box, MaxPeople)
	out := make([]float32, MaxPeople*MultiPoseRow)
	for p, c := range centres {
		cy, cx := float32(c/w), float32(c%w)
		bh, bw := max(o.BoxScale[2*c], 0), max(o.BoxScale[2*c+1], 0)
		my, mx := cy+o.BoxOffset[2*c], cx+o.BoxOffset[2*c+1]
		hh, hw := float32(bh*0.5), float32(bw*0.5)
		b := box{clip32(my-hh, fh), clip32(mx-hw, fw), clip32(my+hh, fh), clip32(mx+hw, fw)}
		boxes[p] = b
		row := out[p*MultiPoseRow:]
		for i, v := range []float32{b.y0 * 4 / (4 * fh), b.x0 * 4 / (4 * fw), b.y1 * 4 / (4 * fh), b.x1 * 4 / (4 * fw)} {
			row[3*k+i] = min(max(v, 0), 1)
		}
	}
	inside := func(p, y, x int) bool {
		b := boxes[p]
		fy, fx := float32(y), float32(x)
		return fy >= b.y0 && fy < b.y1 && fx >= b.x0 && fx < b.x1
	}
	spread := float32(min(h, w)) * multiPoseSpread
	// weighted is joint j's heatmap at cell (y, x) weighted by its distance to (ry, rx).
	weighted := func(j, y, x int, ry, rx float32) float32 {
		dy, dx := float32(y)-ry, float32(x)-rx
		// Each product rounded to float32 (no fused multiply-add), as the graph computes it.
		return o.Heatmaps[(y*w+x)*k+j] * exp32(-(float32(dy*dy)+float32(dx*dx))/spread)
	}
	// The regressed joints of every person.
	var reg [MaxPeople][k][2]float32
	for p, c := range centres {
		cy, cx := float32(c/w), float32(c%w)
		for j := range k {
			reg[p][j] = [2]float32{cy + o.Regression[c*2*k+2*j], cx + o.Regression[c*2*k+2*j+1]}
		}
	}
	scaleY, scaleX := 4/(4*fh), 4/(4*fw)
	for p := range centres {
		b := boxes[p]
		y0, y1 := max(int(math.Ceil(float64(b.y0))), 0), min(int(math.Ceil(float64(b.y1))), h)
		x0, x1 := max(int(math.Ceil(float64(b.x0))), 0), min(int(math.Ceil(float64(b.x1))), w)
		row := out[p*MultiPoseRow:]
		var sum, count float32
		for j := range k {
			// The arg-max, the first cell of the largest value (cell 0 when none is above 0, as
			// outside the box every value is 0). It starts from the cell nearest the regressed
			// joint, and skips the cells whose heatmap is below the best so far: the weight is at
			// most 1, so they cannot win.
			best, at := float32(0), 0
			ry, rx := reg[p][j][0], reg[p][j][1]
			if y0 < y1 && x0 < x1 {
				sy := min(max(int(math.Floor(float64(ry)+0.5)), y0), y1-1)
				sx := min(max(int(math.Floor(float64(rx)+0.5)), x0), x1-1)
				if v := weighted(j, sy, sx, ry, rx); v > 0 {
					best, at = v, sy*w+sx
				}
			}
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					i := y*w + x
					if !(o.Heatmaps[i*k+j] >= best) {
						continue
					}
					if v := weighted(j, y, x, ry, rx); v > best || (v == best && v > 0 && i < at) {
						best, at = v, i
					}
				}
			}
			ay, ax := at/w, at%w
			// The confidence: the largest weighted heatmap over the people at that cell.
			var conf float32
			for q := range centres {
				if inside(q, ay, ax) {
					conf = max(conf, weighted(j, ay, ax, reg[q][j][0], reg[q][j][1]))
				}
			}
			row[3*j] = (float32(ay) + o.Offsets[at*2*k+2*j]) * scaleY
			row[3*j+1] = (float32(ax) + o.Offsets[at*2*k+2*j+1]) * scaleX
			row[3*j+2] = conf
			if conf > multiPoseKeypointThreshold {
				sum += float32(peaks[centres[p]] * conf)
				count++
			}
		}
		row[MultiPoseRow-1] = 1 / max(count, 1) * sum
	}
	return out, nil
}

// exp32 is e^x in float32, 0 where that is subnormal (below 2^-126), as GoMLX's float32 Exp
// computes it (and so MultiPose's graph as package tfjs runs it): a joint's weight so far from
// the regressed joint only decides the cell of joints whose confidence is below 1e-38.
func exp32(x float32) float32 {
	e := float32(math.Exp(float64(x)))
	if e < 0x1p-126 {
		return 0
	}
	return e
}

// clip32 clips v to [0, hi] as the graph does (the minimum first).
func clip32(v, hi float32) float32 { return max(min(v, hi), 0) }

// peakValues returns prob where it is within multiPosePeakTolerance of the maximum of its
// multiPosePool² neighbourhood (within the map), 0 elsewhere.
func peakValues(prob []float32, h, w int) []float32 {
	r := multiPosePool / 2
	out := make([]float32, len(prob))
	for y := range h {
		for x := range w {
			m := float32(math.Inf(-1))
			for yy := max(y-r, 0); yy <= min(y+r, h-1); yy++ {
				for xx := max(x-r, 0); xx <= min(x+r, w-1); xx++ {
					m = max(m, prob[yy*w+xx])
				}
			}
			v := prob[y*w+x]
			if d := v - m; d < multiPosePeakTolerance && -d < multiPosePeakTolerance {
				out[y*w+x] = v
			}
		}
	}
	return out
}

// topK returns the indices of the k largest values, largest first, ties to the lower index (as
// TensorFlow's TopKV2).
func topK(v []float32, k int) []int {
	idx := make([]int, 0, k+1)
	for i, x := range v {
		if len(idx) == k && !(x > v[idx[k-1]]) {
			continue
		}
		at := len(idx)
		for at > 0 && x > v[idx[at-1]] {
			at--
		}
		idx = append(idx, 0)
		copy(idx[at+1:], idx[at:])
		idx[at] = i
		if len(idx) > k {
			idx = idx[:k]
		}
	}
	return idx
}

// multiPoseConstants checks that MultiPose's graph (its weights w) holds the decoding constants
// DecodeMultiPose uses.
func multiPoseConstants(w map[string]*tfjs.Tensor) error {
	const p = "StatefulPartitionedCall/"
	want := []struct {
		name string
		v    float64
	}{
		{p + "Less/y", float64(multiPosePeakTolerance)},
		{p + "Greater_1/y", float64(multiPoseKeypointThreshold)},
		{p + "mul_6/y", float64(multiPoseSpread)},
		{p + "TopKV2/k", MaxPeople},
		{p + "mul_7/x", -1},
		{p + "Maximum_1/y", 1},
		{p + "mul_5/y", 4},
		{"ConstantFolding/" + p + "truediv_2_recip", 0.5},
		{"ConstantFolding/" + p + "truediv_5_recip", 0.5},
	}
	for _, c := range want {
		name := c.name
		t := w[name]
		if t == nil || len(t.Values) != 1 || t.Values[0] != c.v {
			return fmt.Errorf("movenet: MultiPose's graph has %s = %v, the decoding assumes %v", name, t, c.v)
		}
	}
	// The joints' indices in the gathers of positions and confidences: 0–16 for each person.
	for _, name := range []string{"Reshape_17", "Reshape_19"} {
		t := w[p+name]
		if t == nil || len(t.Values) != MaxPeople*NumKeypoints {
			return fmt.Errorf("movenet: MultiPose's graph has no %d joint indices %s", MaxPeople*NumKeypoints, name)
		}
		for i, v := range t.Values {
			if int(v) != i%NumKeypoints {
				return fmt.Errorf("movenet: MultiPose's graph's %s[%d] = %v, want %d", name, i, v, i%NumKeypoints)
			}
		}
	}
	return nil
}

// multiNet runs MultiPose as an imported network (ImportNet with its offset, regression and box
// heads) and decodes it with DecodeMultiPose.
type multiNet struct {
	net  *nets.Net
	exec *model.Exec
}

func newMultiNet(backend compute.Backend, path string) (*multiNet, error) {
	net, store, w, err := importNet(context.Background(), backend, path, MultiPose, true)
	if err != nil {
		return nil, err
	}
	if err := multiPoseConstants(w); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, images *graph.Node) []*graph.Node {
		out, err := nets.Build(scope, net, images, false)
		if err != nil {
			panic(err)
		}
		return append([]*graph.Node{out.Heatmaps, out.Mask, out.Regression, out.Offsets}, out.Extra...)
	})
	if err != nil {
		return nil, fmt.Errorf("movenet: %w", err)
	}
	return &multiNet{net: net, exec: exec}, nil
}

// infer runs the net on an h×w RGB image of int32 values in 0–255 (sides multiples of 32) and
// returns MultiPose's output (DecodeMultiPose).
func (m *multiNet) infer(ctx context.Context, img []int32, h, w int) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("movenet: %w", err)
	}
	if h%32 != 0 || w%32 != 0 || h < 32 || w < 32 {
		return nil, fmt.Errorf("movenet: MultiPose takes images whose sides are multiples of 32, got %d×%d", h, w)
	}
	x := make([]float32, len(img))
	for i, v := range img {
		x[i] = float32(v)
	}
	if err := topdown.Normalize(x, topdown.ImageNetMean(), topdown.ImageNetStd()); err != nil {
		return nil, fmt.Errorf("movenet: %w", err)
	}
	outs, err := m.exec.Call(tensors.FromFlatDataAndDimensions(x, 1, h, w, 3))
	if err != nil {
		return nil, fmt.Errorf("movenet %s: %w", m.net.Name, err)
	}
	var heads [6][]float32
	for i, t := range outs {
		heads[i], err = tensors.CopyFlatData[float32](t)
		t.FinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("movenet %s: output %d: %w", m.net.Name, i, err)
		}
	}
	return DecodeMultiPose(MultiPoseHeads{Heatmaps: heads[0], Centre: heads[1], Regression: heads[2], Offsets: heads[3],
		BoxScale: heads[4], BoxOffset: heads[5]}, h/4, w/4)
}
