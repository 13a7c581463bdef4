package train

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/nets"
)

// The MoveNet codec's loss (codec.MoveNet): the heatmap MSE, plus the offset head trained near
// each joint and the regression head at the crop's centre, with these weights and radius.
const (
	// OffsetWeight weighs OffsetL1 against the heatmap MSE (whose mean over every pixel is about
	// 1e-3 on gaussian targets, where the offsets' L1 is a tenth of a cell or more).
	OffsetWeight = 0.01
	// RegressionWeight weighs RegressionL1.
	RegressionWeight = 0.001
	// OffsetRadius is the half-width, in heatmap cells, of the window around each joint's
	// nearest cell where its offsets are trained: one cell, so that a neighbour of the peak
	// still decodes to the joint.
	OffsetRadius = 1
)

// moveNetLoss returns the MoveNet codec's GT loss.
func moveNetLoss(c *codec.Codec) *Loss {
	return &Loss{Terms: []Term{
		HeatmapMSE("heatmap_gt", nil),
		OffsetL1("offset_gt", TensorKeypoints, c, OffsetRadius, Constant(OffsetWeight)),
		RegressionL1("regression_gt", TensorKeypoints, c, Constant(RegressionWeight)),
	}}
}

// checkMoveNetHeads reports an error when codec c is MoveNet's and the net lacks the offset or
// regression head its loss trains (models import --codec movenet makes such a net).
func checkMoveNetHeads(c *codec.Codec, net *nets.Net) error {
	if c.Kind == codec.MoveNet && (net.Heads.Offsets == "" || net.Heads.Regression == "") {
		return fmt.Errorf("config: codec movenet trains the offset and regression heads, and net %s has no %s (import MoveNet with models import --codec movenet)",
			net.Name, map[bool]string{true: "offsets head", false: "regression head"}[net.Heads.Offsets == ""])
	}
	return nil
}

// cellTargets returns the joints of the batch tensor keypoints ([N, K, 3] in input-crop
// pixels) in heatmap cells of codec c, y and x [N, 1, 1, K], and their presence (visibility > 0
// times the GT target weights) [N, 1, 1, K].
func cellTargets(in TermInputs, keypoints string, c *codec.Codec) (y, x, present *graph.Node) {
	kp := in.Tensors[keypoints]
	n, k := kp.Shape().Dimensions[0], kp.Shape().Dimensions[1]
	sx, sy := c.InputPerHeatPixel()
	axis := func(i int) *graph.Node {
		return graph.Reshape(graph.Slice(kp, graph.AxisRange(), graph.AxisRange(), graph.AxisElem(i)), n, 1, 1, k)
	}
	x = graph.DivScalar(axis(0), sx)
	y = graph.DivScalar(axis(1), sy)
	visible := graph.ConvertDType(graph.GreaterThan(axis(2), graph.ScalarZero(kp.Graph(), kp.DType())), kp.DType())
	present = graph.Mul(visible, graph.Reshape(in.Tensors[TensorWeights], n, 1, 1, k))
	return y, x, present
}

// splitYX returns the y and x channels [N, h, w, K] of an [N, h, w, 2K] head (y in 2k, x in 2k+1).
func splitYX(head *graph.Node) (y, x *graph.Node) {
	d := head.Shape().Dimensions
	r := graph.Reshape(head, d[0], d[1], d[2], d[3]/2, 2)
	y = graph.Squeeze(graph.Slice(r, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(), graph.AxisRange(), graph.AxisElem(0)), -1)
	x = graph.Squeeze(graph.Slice(r, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(), graph.AxisRange(), graph.AxisElem(1)), -1)
	return y, x
}

// OffsetL1 trains an offset head (nets.Heads.Offsets) as codec.Codec.OffsetTargets defines its
// targets: at every cell within radius cells of a joint's nearest cell, the joint's position
// relative to the cell; the L1 distance in cells (y plus x), averaged over those cells, for the
// joints of the batch tensor keypoints (TensorKeypoints: the GT) that are labelled and weighted.
func OffsetL1(name, keypoints string, c *codec.Codec, radius int, weight Schedule) Term {
	return Term{
		Name: name, Needs: []string{keypoints, TensorWeights}, Weight: weight,
		Build: func(in TermInputs) *graph.Node {
			if in.Out.Offsets == nil {
				panic("loss term " + name + ": the net has no offsets head (codec movenet needs one)")
			}
			py, px := splitYX(in.Out.Offsets)
			ty, tx, present := cellTargets(in, keypoints, c)
			g := py.Graph()
			d := py.Shape().Dimensions
			gy := graph.Reshape(graph.ConvertDType(graph.Iota(g, shapes.Make(dtypes.Int32, d[1]), 0), py.DType()), 1, d[1], 1, 1)
			gx := graph.Reshape(graph.ConvertDType(graph.Iota(g, shapes.Make(dtypes.Int32, d[2]), 0), py.DType()), 1, 1, d[2], 1)
			near := func(grid, t *graph.Node) *graph.Node {
				centre := graph.Floor(graph.AddScalar(t, 0.5))
				return graph.ConvertDType(graph.LessOrEqual(graph.Abs(graph.Sub(grid, centre)), graph.Scalar(g, py.DType(), float64(radius))), py.DType())
			}
			mask := graph.Mul(graph.Mul(near(gy, ty), near(gx, tx)), present) // [N, h, w, K]
			dy := graph.Abs(graph.Sub(py, graph.Sub(ty, gy)))
			dx := graph.Abs(graph.Sub(px, graph.Sub(tx, gx)))
			// Joints outside the map have no cell: their differences are masked, and a NaN or
			// infinite target would still poison the product, so they are zeroed first.
			l1 := graph.Where(graph.GreaterThan(mask, graph.ScalarZero(g, mask.DType())), graph.Add(dy, dx), graph.ZerosLike(dy))
			return graph.Div(graph.ReduceAllSum(graph.Mul(l1, mask)), graph.Max(graph.ReduceAllSum(mask), graph.ScalarOne(g, mask.DType())))
		},
	}
}

// RegressionL1 trains MoveNet's regression head (nets.Heads.Regression) at the crop's centre
// cell (h/2, w/2), where the training pipeline puts the person's box centre: the L1 distance in
// cells between its output there and each joint's position relative to that cell, averaged over
// the labelled, weighted joints of the batch tensor keypoints.
func RegressionL1(name, keypoints string, c *codec.Codec, weight Schedule) Term {
	return Term{
		Name: name, Needs: []string{keypoints, TensorWeights}, Weight: weight,
		Build: func(in TermInputs) *graph.Node {
			if in.Out.Regression == nil {
				panic("loss term " + name + ": the net has no regression head (codec movenet needs one)")
			}
			d := in.Out.Regression.Shape().Dimensions
			cy, cx := d[1]/2, d[2]/2
			at := graph.Slice(in.Out.Regression, graph.AxisRange(), graph.AxisElem(cy), graph.AxisElem(cx), graph.AxisRange())
			ry, rx := splitYX(at) // [N, 1, 1, K]
			ty, tx, present := cellTargets(in, keypoints, c)
			g := ry.Graph()
			dy := graph.Abs(graph.Sub(ry, graph.AddScalar(ty, -float64(cy))))
			dx := graph.Abs(graph.Sub(rx, graph.AddScalar(tx, -float64(cx))))
			on := graph.GreaterThan(present, graph.ScalarZero(g, present.DType()))
			l1 := graph.Where(on, graph.Add(dy, dx), graph.ZerosLike(dy))
			return graph.Div(graph.ReduceAllSum(graph.Mul(l1, present)), graph.Max(graph.ReduceAllSum(present), graph.ScalarOne(g, present.DType())))
		},
	}
}
