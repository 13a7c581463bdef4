package distill

import (
	"github.com/gomlx/gomlx/core/graph"

	"github.com/posedistill/posedistill/train"
)

// Names of the extra batch tensors a teacher adds (see Hook): "<teacher>/heatmaps" [N, h, w, K],
// "<teacher>/binary" (the binarized heatmaps), "<teacher>/locations" [N, h, w, 3K] and
// "<teacher>/mask" [N, h, w, 1] (the mask probability) and "<teacher>/mask_dilated" (its 3×3
// max-pool dilation).
const (
	SuffixHeatmaps    = "/heatmaps"
	SuffixBinary      = "/binary"
	SuffixLocations   = "/locations"
	SuffixMask        = "/mask"
	SuffixMaskDilated = "/mask_dilated"
)

// MaskBCE is the segmentation-knowledge term: binary cross-entropy between the student's mask
// logits and the teacher's mask probability in the extra tensor `extra` ([N, h, w, 1]).
func MaskBCE(name, extra string, weight train.Schedule) train.Term {
	key := train.ExtraPrefix + extra
	return train.Term{
		Name: name, Needs: []string{key}, Weight: weight,
		Build: func(in train.TermInputs) *graph.Node {
			return maskBCE(in.Out.Mask, in.Tensors[key])
		},
	}
}

// maskBCE is mean(softplus(logits) − logits·target).
func maskBCE(logits, target *graph.Node) *graph.Node {
	return graph.ReduceAllMean(graph.Sub(graph.Softplus(logits), graph.Mul(logits, target)))
}

// MaskRestriction penalises student heatmap mass outside the teacher's (dilated) person mask in
// the extra tensor `extra`: mean(w·H²·(1 − D)).
func MaskRestriction(name, extra string, weight train.Schedule) train.Term {
	key := train.ExtraPrefix + extra
	return train.Term{
		Name: name, Needs: []string{key, train.TensorWeights}, Weight: weight,
		Build: func(in train.TermInputs) *graph.Node {
			return maskRestriction(in.Out.Heatmaps, in.Tensors[key], in.Tensors[train.TensorWeights])
		},
	}
}

// MaskMassRestriction is MaskRestriction for integral-regression students, whose maps are logits:
// the share of each joint's probability (the spatial softmax) that lies outside the teacher's
// dilated mask, mean(w[n,k]·Σ_pixels p·(1 − mask)). Squared logits would penalise a softmax's
// shift, which does not change it, and overwhelm the coordinate terms.
func MaskMassRestriction(name, extra string, weight train.Schedule) train.Term {
	key := train.ExtraPrefix + extra
	return train.Term{
		Name: name, Needs: []string{key, train.TensorWeights}, Weight: weight,
		Build: func(in train.TermInputs) *graph.Node {
			return maskMassRestriction(in.Out.Heatmaps, in.Tensors[key], in.Tensors[train.TensorWeights])
		},
	}
}

// maskMassRestriction is mean(w[n,k]·Σ_pixels softmax(L)[n,·,k]·(1 − mask)) with logits L
// [N,h,w,K], mask [N,h,w,1], w [N,K].
func maskMassRestriction(logits, mask, weights *graph.Node) *graph.Node {
	d := logits.Shape().Dimensions
	p := graph.Softmax(graph.Reshape(logits, d[0], d[1]*d[2], d[3]), 1)
	outside := graph.Reshape(graph.OneMinus(mask), d[0], d[1]*d[2], 1)
	off := graph.ReduceSum(graph.Mul(p, outside), 1) // [N, K]
	return graph.ReduceAllMean(graph.Mul(off, weights))
}

// maskRestriction is mean(w[n,k]·H²·(1 − mask)) with H [N,h,w,K], mask [N,h,w,1], w [N,K].
func maskRestriction(heat, mask, weights *graph.Node) *graph.Node {
	dims := weights.Shape().Dimensions
	w := graph.Reshape(weights, dims[0], 1, 1, dims[1])
	outside := graph.OneMinus(mask)
	return graph.ReduceAllMean(graph.Mul(graph.Mul(graph.Square(heat), outside), w))
}

// LocationMapMSE is MoVNect's location-map term against the target maps named target (the GT
// maps train.TensorLocationMaps, or a teacher's extra "<teacher>/locations"): the difference is
// masked by the GT heatmaps, mean(w·(H_GT ⊙ (L − L*))²). It needs a student with a location head
// and 2D joints equal to the 3D joints.
func LocationMapMSE(name, target string, weight train.Schedule) train.Term {
	return train.Term{
		Name: name, Needs: []string{target, train.TensorHeatmaps, train.TensorLocationWeights}, Weight: weight,
		Build: func(in train.TermInputs) *graph.Node {
			return locationMSE(in.Out.Locations, in.Tensors[target], in.Tensors[train.TensorHeatmaps], in.Tensors[train.TensorLocationWeights])
		},
	}
}

// locationMSE is mean(w[n,j]·(H[n,y,x,j]·(L − T)[n,y,x,c·J+j])²) over n, y, x, c, j.
func locationMSE(loc, target, heat, weights *graph.Node) *graph.Node {
	d := heat.Shape().Dimensions
	n, h, w, j := d[0], d[1], d[2], d[3]
	diff := graph.Reshape(graph.Sub(loc, target), n, h, w, 3, j)
	m := graph.Reshape(heat, n, h, w, 1, j)
	wt := graph.Reshape(weights, n, 1, 1, 1, j)
	return graph.ReduceAllMean(graph.Mul(graph.Square(graph.Mul(diff, m)), wt))
}

// LocationJointL1 is a joint-level location term: the L1 distance between each joint's 3D
// position read from the student's location maps and from the GT maps, both read as the maps'
// mean under the joint's normalised GT heatmap (as BoneLength reads them), summed over the three
// axes and averaged over the labelled joints (weights w[n, j]). Where LocationMapMSE weights each
// pixel by the squared heatmap and averages over every pixel, this term is in the maps' own units
// (the error of the joint as inference reads it, the window around the maximum averaged under
// the heatmap), so its gradient does not vanish as the masked per-pixel error shrinks.
func LocationJointL1(name string, weight train.Schedule) train.Term {
	return train.Term{
		Name: name, Needs: []string{train.TensorLocationMaps, train.TensorHeatmaps, train.TensorLocationWeights}, Weight: weight,
		Build: func(in train.TermInputs) *graph.Node {
			return locationJointL1(in.Out.Locations, in.Tensors[train.TensorLocationMaps], in.Tensors[train.TensorHeatmaps], in.Tensors[train.TensorLocationWeights])
		},
	}
}

// locationJointL1 is Σ_n,j w[n,j]·Σ_c |P − G|[n,c,j] / max(Σ w, 1), P and G the student's and
// the GT maps read by readJoints.
func locationJointL1(loc, gtLoc, heat, weights *graph.Node) *graph.Node {
	g := heat.Graph()
	d := heat.Shape().Dimensions
	n, j := d[0], d[3]
	diff := graph.ReduceSum(graph.Abs(graph.Sub(readJoints(loc, heat), readJoints(gtLoc, heat))), 1) // [N, J]
	w := graph.Reshape(weights, n, j)
	total := graph.ReduceAllSum(graph.Mul(diff, w))
	return graph.Div(total, graph.Max(graph.ReduceAllSum(w), graph.Scalar(g, heat.DType(), 1)))
}

// BoneLength is the bone-length term over bones (pairs of joint indices): the mean over samples
// and bones, where both joints have weight, of (‖P_a − P_b‖ − ‖G_a − G_b‖)², P the student's and
// G the GT location maps read under the normalised GT heatmaps (millimetre maps give mm² values).
func BoneLength(name string, bones [][2]int, weight train.Schedule) train.Term {
	return train.Term{
		Name: name, Needs: []string{train.TensorLocationMaps, train.TensorHeatmaps, train.TensorLocationWeights}, Weight: weight,
		Build: func(in train.TermInputs) *graph.Node {
			return boneLength(in.Out.Locations, in.Tensors[train.TensorLocationMaps], in.Tensors[train.TensorHeatmaps], in.Tensors[train.TensorLocationWeights], bones)
		},
	}
}

// readJoints returns [N, 3, J]: the location maps averaged under each joint's normalised heatmap.
func readJoints(loc, heat *graph.Node) *graph.Node {
	d := heat.Shape().Dimensions
	n, h, w, j := d[0], d[1], d[2], d[3]
	l := graph.Reshape(loc, n, h, w, 3, j)
	m := graph.Reshape(heat, n, h, w, 1, j)
	mass := graph.Add(graph.ReduceSum(m, 1, 2), graph.Scalar(heat.Graph(), heat.DType(), 1e-6)) // [N,1,J]
	return graph.Div(graph.ReduceSum(graph.Mul(l, m), 1, 2), mass)
}

func boneLength(loc, gtLoc, heat, weights *graph.Node, bones [][2]int) *graph.Node {
	g := heat.Graph()
	p := readJoints(loc, heat)
	q := readJoints(gtLoc, heat)
	eps := graph.Scalar(g, heat.DType(), 1e-6)
	var total, count *graph.Node
	for _, b := range bones {
		pa := graph.Slice(p, graph.AxisRange(), graph.AxisRange(), graph.AxisElem(b[0]))
		pb := graph.Slice(p, graph.AxisRange(), graph.AxisRange(), graph.AxisElem(b[1]))
		qa := graph.Slice(q, graph.AxisRange(), graph.AxisRange(), graph.AxisElem(b[0]))
		qb := graph.Slice(q, graph.AxisRange(), graph.AxisRange(), graph.AxisElem(b[1]))
		lp := graph.Sqrt(graph.Add(graph.ReduceSum(graph.Square(graph.Sub(pa, pb)), 1, 2), eps))
		lq := graph.Sqrt(graph.Add(graph.ReduceSum(graph.Square(graph.Sub(qa, qb)), 1, 2), eps))
		wa := graph.Slice(weights, graph.AxisRange(), graph.AxisElem(b[0]))
		wb := graph.Slice(weights, graph.AxisRange(), graph.AxisElem(b[1]))
		valid := graph.Reshape(graph.Mul(wa, wb), -1)
		e := graph.ReduceAllSum(graph.Mul(graph.Square(graph.Sub(lp, lq)), valid))
		c := graph.ReduceAllSum(valid)
		if total == nil {
			total, count = e, c
		} else {
			total, count = graph.Add(total, e), graph.Add(count, c)
		}
	}
	if total == nil {
		return graph.Scalar(g, heat.DType(), 0)
	}
	return graph.Div(total, graph.Max(count, graph.Scalar(g, heat.DType(), 1)))
}

// GTMaskBCE trains a mask head on the GT person masks (train.TensorMasks) with the binary
// cross-entropy on logits, each sample weighted by its mask weight (0 without a mask): the
// segmentation loss of a senior teacher.
func GTMaskBCE(name string, weight train.Schedule) train.Term {
	return train.Term{
		Name: name, Needs: []string{train.TensorMasks, train.TensorMaskWeights}, Weight: weight,
		Build: func(in train.TermInputs) *graph.Node {
			logits, target := in.Out.Mask, in.Tensors[train.TensorMasks]
			per := graph.Sub(graph.Softplus(logits), graph.Mul(logits, target))
			n := in.Tensors[train.TensorMaskWeights].Shape().Dimensions[0]
			w := graph.Reshape(in.Tensors[train.TensorMaskWeights], n, 1, 1, 1)
			return graph.ReduceAllMean(graph.Mul(per, w))
		},
	}
}
