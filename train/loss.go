package train

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/topdown"
)

// Names of the batch tensors a Term can ask for. Extra tensors of a batch (teacher heatmaps, …)
// are named ExtraPrefix + their name in topdown.Batch.Extra.
const (
	TensorHeatmaps        = "heatmaps"         // [N, h, w, K] GT heatmaps
	TensorWeights         = "weights"          // [N, K] per-joint target weights
	TensorKeypoints       = "keypoints"        // [N, K, 3] x, y in input-crop pixels, visibility
	TensorLocationMaps    = "location_maps"    // [N, h, w, 3J]
	TensorLocationWeights = "location_weights" // [N, J]
	TensorMasks           = "masks"            // [N, h, w, 1]
	TensorMaskWeights     = "mask_weights"     // [N]
	ExtraPrefix           = "extra/"
)

// TermInputs is what a Term sees while the training graph is built: the network's heads and the
// batch tensors the loss asked for, by name.
type TermInputs struct {
	Out     nets.Outputs
	Tensors map[string]*graph.Node
}

// Schedule gives a term's weight at a training step (0-based, the step being taken).
type Schedule func(step int) float64

// Constant returns a schedule of the fixed weight w.
func Constant(w float64) Schedule { return func(int) float64 { return w } }

// Linear returns a schedule going linearly from `from` at step 0 to `to` at step `steps`, then
// staying at `to`.
func Linear(from, to float64, steps int) Schedule {
	return func(step int) float64 {
		if steps <= 0 || step >= steps {
			return to
		}
		return from + (to-from)*float64(step)/float64(steps)
	}
}

// Term is one named part of the loss: a scalar built from the heads and the named batch
// tensors it Needs, multiplied by its Weight at the current step. Weights enter the graph as an
// input, so a schedule never recompiles the step.
type Term struct {
	Name   string
	Needs  []string
	Weight Schedule // nil means 1
	Build  func(in TermInputs) *graph.Node
}

// Loss is a weighted sum of terms. Distillation adds teacher terms (see TeacherHeatmapMSE), a
// location-map or mask term adds itself the same way: the loop does not change.
type Loss struct {
	Terms []Term
}

// HeatmapLoss returns the supervised loss: the GT heatmap MSE with target weights.
func HeatmapLoss() *Loss { return &Loss{Terms: []Term{HeatmapMSE("heatmap_gt", nil)}} }

// SupervisedLoss returns the GT loss that suits codec c: IntegralL1 for an Integral codec (plus
// TargetKL towards the GT gaussians with weight distWeight when it is > 0), the heatmap MSE with
// OffsetL1 and RegressionL1 for a MoveNet codec (see moveNetLoss), the heatmap MSE otherwise.
func SupervisedLoss(c *codec.Codec, distWeight float64) *Loss {
	if c.Kind == codec.MoveNet {
		return moveNetLoss(c)
	}
	if c.Kind == codec.Integral {
		l := &Loss{Terms: []Term{IntegralL1("integral_gt", TensorKeypoints, c, nil)}}
		if distWeight > 0 {
			l.Terms = append(l.Terms, TargetKL("dist_gt", TensorHeatmaps, Constant(distWeight)))
		}
		return l
	}
	return HeatmapLoss()
}

// IntegralL1 is integral regression's loss: the L1 distance between the soft-argmax of the
// network's maps (read as logits, see codec.Integral) and the keypoints of the batch tensor
// `keypoints` ([N, K, 3] in input-crop pixels, TensorKeypoints for the GT), in units of the
// crop's width and height, weighted by the GT target weights and averaged over joints.
func IntegralL1(name, keypoints string, c *codec.Codec, weight Schedule) Term {
	return Term{
		Name: name, Needs: []string{keypoints, TensorWeights}, Weight: weight,
		Build: func(in TermInputs) *graph.Node {
			x, y := SoftArgmax(in.Out.Heatmaps, c)
			kp := in.Tensors[keypoints]
			tx := graph.Squeeze(graph.Slice(kp, graph.AxisRange(), graph.AxisRange(), graph.AxisElem(0)), -1)
			ty := graph.Squeeze(graph.Slice(kp, graph.AxisRange(), graph.AxisRange(), graph.AxisElem(1)), -1)
			dx := graph.DivScalar(graph.Abs(graph.Sub(x, tx)), float64(c.InputW))
			dy := graph.DivScalar(graph.Abs(graph.Sub(y, ty)), float64(c.InputH))
			return graph.ReduceAllMean(graph.Mul(graph.Add(dx, dy), in.Tensors[TensorWeights]))
		},
	}
}

// TeacherIntegralL1 is IntegralL1 against a teacher: the L1 distance, in units of the crop's
// width and height, between the soft-argmax of the student's maps and the centre of the
// teacher's peak in the batch's extra tensor `extra` (non-negative maps of the student's shape:
// gaussians, binarized discs or an integral teacher's probabilities), with the GT target weights.
// The peak's centre is the centre of mass of the map above half its maximum (peakMaps): a
// sigmoid heatmap teacher's background (a few hundredths over hundreds of pixels) would otherwise
// pull the target towards the crop's centre.
func TeacherIntegralL1(name, extra string, c *codec.Codec, weight Schedule) Term {
	key := ExtraPrefix + extra
	return Term{
		Name: name, Needs: []string{key, TensorWeights}, Weight: weight,
		Build: func(in TermInputs) *graph.Node {
			x, y := SoftArgmax(in.Out.Heatmaps, c)
			q, present := normalizedMaps(peakMaps(in.Tensors[key]))
			tx, ty := expectation(q, in.Tensors[key].Shape().Dimensions, c)
			dx := graph.DivScalar(graph.Abs(graph.Sub(x, graph.StopGradient(tx))), float64(c.InputW))
			dy := graph.DivScalar(graph.Abs(graph.Sub(y, graph.StopGradient(ty))), float64(c.InputH))
			w := graph.Mul(in.Tensors[TensorWeights], present) // a joint the teacher left empty has no target
			return graph.ReduceAllMean(graph.Mul(graph.Add(dx, dy), w))
		},
	}
}

// TargetKL trains integral-regression maps towards target maps: the KL divergence KL(q ‖ p_S)
// between the batch tensor `target` ([N, h, w, K], non-negative: the GT gaussians TensorHeatmaps,
// or a teacher's maps ExtraPrefix+name), normalised per joint to sum 1, and the spatial softmax
// p_S of the student's logits; weighted by the GT target weights and averaged over joints.
// Against the GT it is DSNT's distribution regularisation: soft-argmax alone constrains only a
// map's mean, this gives every pixel a target. Against an integral teacher (whose maps are its
// probabilities) it is the KL between the two softmax distributions, as DWPose distils SimCC.
func TargetKL(name, target string, weight Schedule) Term {
	return Term{
		Name: name, Needs: []string{target, TensorWeights}, Weight: weight,
		Build: func(in TermInputs) *graph.Node {
			logS := spatialLogSoftmax(in.Out.Heatmaps)
			q, _ := normalizedMaps(in.Tensors[target])
			q = graph.StopGradient(q)
			logQ := graph.Log(graph.AddScalar(q, 1e-12))
			kl := graph.ReduceSum(graph.Mul(q, graph.Sub(logQ, logS)), 1) // [N, K]
			return graph.ReduceAllMean(graph.Mul(kl, in.Tensors[TensorWeights]))
		},
	}
}

// normalizedMaps returns [N, h, w, K] non-negative maps as [N, h·w, K] distributions (each joint's
// map divided by its sum; negative values count as 0; an all-zero map stays 0), and [N, K] with 1
// where a joint's map has mass and 0 where it is empty.
func normalizedMaps(maps *graph.Node) (q, present *graph.Node) {
	d := maps.Shape().Dimensions
	g, dt := maps.Graph(), maps.DType()
	q = graph.Reshape(graph.Max(maps, graph.ScalarZero(g, dt)), d[0], d[1]*d[2], d[3])
	sum := graph.ReduceSum(q, 1)
	present = graph.ConvertDType(graph.GreaterThan(sum, graph.Scalar(g, dt, 1e-6)), dt)
	return graph.Div(q, graph.ExpandAxes(graph.AddScalar(sum, 1e-12), 1)), present
}

// peakMaps keeps the part of each joint's [N, h, w, K] map above half its maximum, minus that
// half: max(m − max(m)/2, 0). For a single gaussian or disc its centre of mass is the peak's
// centre, whatever the map's constant background.
func peakMaps(maps *graph.Node) *graph.Node {
	half := graph.MulScalar(graph.ReduceAndKeep(maps, graph.ReduceMax, 1, 2), 0.5)
	return graph.Max(graph.Sub(maps, half), graph.ScalarZero(maps.Graph(), maps.DType()))
}

// spatialLogSoftmax returns the log-softmax over the pixels of an [N, h, w, K] map, as [N, h·w, K].
func spatialLogSoftmax(maps *graph.Node) *graph.Node {
	d := maps.Shape().Dimensions
	return graph.LogSoftmax(graph.Reshape(maps, d[0], d[1]*d[2], d[3]), 1)
}

// SoftArgmax returns the expectation of the spatial softmax of [N, h, w, K] logits, in
// input-crop pixels of codec c: x and y, each [N, K]. It is codec.Codec's Integral decoding
// inside a graph.
func SoftArgmax(logits *graph.Node, c *codec.Codec) (x, y *graph.Node) {
	d := logits.Shape().Dimensions
	return expectation(graph.Softmax(graph.Reshape(logits, d[0], d[1]*d[2], d[3]), 1), d, c)
}

// expectation returns the mean position, in input-crop pixels of codec c, of [N, h·w, K]
// distributions over the pixels of maps of dimensions dims ([N, h, w, K]).
func expectation(p *graph.Node, dims []int, c *codec.Codec) (x, y *graph.Node) {
	h, w := dims[1], dims[2]
	grid := shapes.Make(p.DType(), h, w)
	sx, sy := c.InputPerHeatPixel()
	xs := graph.Reshape(graph.MulScalar(graph.Iota(p.Graph(), grid, 1), sx), 1, h*w, 1)
	ys := graph.Reshape(graph.MulScalar(graph.Iota(p.Graph(), grid, 0), sy), 1, h*w, 1)
	return graph.ReduceSum(graph.Mul(p, xs), 1), graph.ReduceSum(graph.Mul(p, ys), 1)
}

// HeatmapMSE is MMPose's KeypointMSELoss with target weights against the GT heatmaps: the mean
// over batch, pixels and joints of weight·(prediction − target)².
func HeatmapMSE(name string, weight Schedule) Term {
	return Term{
		Name: name, Needs: []string{TensorHeatmaps, TensorWeights}, Weight: weight,
		Build: func(in TermInputs) *graph.Node {
			return weightedMSE(in.Out.Heatmaps, in.Tensors[TensorHeatmaps], in.Tensors[TensorWeights])
		},
	}
}

// PairContrastMSE penalises heatmap mass on the wrong side of the body: for each joint j with a
// left/right counterpart o = flip[j] (skeleton.Set.FlipIndex), the mean over batch, pixels and
// joints of w[n,j]·w[n,o]·max(T_o − T_j, 0)·[T_j < PairOwnFloor]·H_j², where T are the GT
// heatmaps and H the network's. It charges a left knee's map for lighting up on the right knee,
// which the plain MSE weighs like any other pixel, and nothing inside the joint's own gaussian: a
// pair whose gaussians overlap (a profile view's hips) is not pushed apart.
func PairContrastMSE(name string, flip []int, weight Schedule) Term {
	return Term{
		Name: name, Needs: []string{TensorHeatmaps, TensorWeights}, Weight: weight,
		Build: func(in TermInputs) *graph.Node {
			target, weights := in.Tensors[TensorHeatmaps], in.Tensors[TensorWeights]
			g, dt := target.Graph(), target.DType()
			wrong := graph.Max(graph.Sub(permuteLastAxis(target, flip), target), graph.ScalarZero(g, dt))
			outside := graph.ConvertDType(graph.LessThan(target, graph.Scalar(g, dt, PairOwnFloor)), dt)
			wrong = graph.StopGradient(graph.Mul(wrong, outside))
			both := graph.Mul(weights, permuteLastAxis(weights, flip))
			dims := both.Shape().Dimensions
			both = graph.Reshape(both, dims[0], 1, 1, dims[1])
			return graph.ReduceAllMean(graph.Mul(graph.Mul(wrong, graph.Square(in.Out.Heatmaps)), both))
		},
	}
}

// PairOwnFloor is where PairContrastMSE starts to charge: pixels whose own GT heatmap is below it
// (beyond about 2.1 σ of the joint's gaussian).
const PairOwnFloor = 0.1

// permuteLastAxis returns x with its last axis reordered: out[..., i] = x[..., perm[i]].
func permuteLastAxis(x *graph.Node, perm []int) *graph.Node {
	last := x.Rank() - 1
	parts := make([]*graph.Node, len(perm))
	for i, p := range perm {
		axes := make([]graph.SliceAxisSpec, x.Rank())
		for a := range axes {
			axes[a] = graph.AxisRange()
		}
		axes[last] = graph.AxisElem(p)
		parts[i] = graph.Slice(x, axes...)
	}
	return graph.Concatenate(parts, last)
}

// TeacherHeatmapMSE is the distillation term ‖H − H_T‖² against the teacher heatmaps carried in
// the batch's extra tensor `extra` (same shape as the student's heatmaps), with the GT target
// weights; MoVNect's α blend is HeatmapMSE with weight α plus this with weight 1−α.
func TeacherHeatmapMSE(name, extra string, weight Schedule) Term {
	key := ExtraPrefix + extra
	return Term{
		Name: name, Needs: []string{key, TensorWeights}, Weight: weight,
		Build: func(in TermInputs) *graph.Node {
			return weightedMSE(in.Out.Heatmaps, in.Tensors[key], in.Tensors[TensorWeights])
		},
	}
}

// weightedMSE is mean(w[n,k]·(p−t)²) over an [N, h, w, K] pair with weights [N, K].
func weightedMSE(pred, target, weights *graph.Node) *graph.Node {
	d := graph.Square(graph.Sub(pred, target))
	dims := weights.Shape().Dimensions
	w := graph.Reshape(weights, dims[0], 1, 1, dims[1])
	return graph.ReduceAllMean(graph.Mul(d, w))
}

// Needs checks the terms (each named once, each with a Build function) and returns the sorted
// names of the batch tensors they need.
func (l *Loss) Needs() ([]string, error) {
	if l == nil || len(l.Terms) == 0 {
		return nil, fmt.Errorf("loss has no terms")
	}
	var names []string
	seen := map[string]bool{}
	for i, t := range l.Terms {
		if t.Name == "" || t.Build == nil {
			return nil, fmt.Errorf("loss term %d: needs a name and a Build function", i)
		}
		if seen["term:"+t.Name] {
			return nil, fmt.Errorf("loss term %q appears twice", t.Name)
		}
		seen["term:"+t.Name] = true
		for _, n := range t.Needs {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return names, nil
}

// weightsAt returns the terms' weights at step.
func (l *Loss) weightsAt(step int) ([]float32, error) {
	w := make([]float32, len(l.Terms))
	for i, t := range l.Terms {
		v := 1.0
		if t.Weight != nil {
			v = t.Weight(step)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("loss term %q: weight %v at step %d", t.Name, v, step)
		}
		w[i] = float32(v)
	}
	return w, nil
}

// termInputs assembles a term's view of the graph: labels are the term weights [T] followed by
// the needed tensors in the order of names; predictions are the heads of net in
// nets.Outputs.List order, then any further outputs of a custom model function (Out.Extra).
func termInputs(net *nets.Net, names []string, labels, predictions []*graph.Node) TermInputs {
	out := nets.Outputs{Heatmaps: predictions[0]}
	i := 1
	for _, h := range []struct {
		layer string
		dst   **graph.Node
	}{{net.Heads.Locations, &out.Locations}, {net.Heads.Mask, &out.Mask},
		{net.Heads.Offsets, &out.Offsets}, {net.Heads.Regression, &out.Regression}} {
		if h.layer != "" && i < len(predictions) {
			*h.dst = predictions[i]
			i++
		}
	}
	if i < len(predictions) { // outputs a custom Options.ModelFn returns after the heads
		out.Extra = predictions[i:]
	}
	in := TermInputs{Out: out, Tensors: make(map[string]*graph.Node, len(names))}
	for j, n := range names {
		in.Tensors[n] = labels[1+j]
	}
	return in
}

// graphFn returns the GoMLX loss function: the sum of the terms times their weights.
func (l *Loss) graphFn(net *nets.Net, names []string) func(labels, predictions []*graph.Node) *graph.Node {
	return func(labels, predictions []*graph.Node) *graph.Node {
		in := termInputs(net, names, labels, predictions)
		var total *graph.Node
		for j, t := range l.Terms {
			v := graph.Reshape(graph.Mul(t.Build(in), graph.Slice(labels[0], graph.AxisElem(j))))
			if total == nil {
				total = v
			} else {
				total = graph.Add(total, v)
			}
		}
		return total
	}
}

// termMetrics returns one GoMLX train metric per term: its unweighted value on the batch, which
// the loop logs by the term's name.
func (l *Loss) termMetrics(net *nets.Net, names []string) []metric.Interface {
	ms := make([]metric.Interface, len(l.Terms))
	for j, t := range l.Terms {
		ms[j] = metric.NewBaseMetric(t.Name, t.Name, metric.LossMetricType+"_term",
			func(_ *model.Scope, labels, predictions []*graph.Node) *graph.Node {
				return graph.Reshape(t.Build(termInputs(net, names, labels, predictions)))
			}, nil)
	}
	return ms
}

// batchTensor returns the named tensor of a batch.
func batchTensor(b *topdown.Batch, name string) (topdown.Tensor, error) {
	var t topdown.Tensor
	switch name {
	case TensorHeatmaps:
		t = b.Heatmaps
	case TensorWeights:
		t = b.Weights
	case TensorKeypoints:
		t = b.Keypoints
	case TensorLocationMaps:
		t = b.LocationMaps
	case TensorLocationWeights:
		t = b.LocationWeights
	case TensorMasks:
		t = b.Masks
	case TensorMaskWeights:
		t = b.MaskWeights
	default:
		if len(name) > len(ExtraPrefix) && name[:len(ExtraPrefix)] == ExtraPrefix {
			t = b.Extra[name[len(ExtraPrefix):]]
		} else {
			return t, fmt.Errorf("unknown batch tensor %q", name)
		}
	}
	if len(t.Data) == 0 {
		return t, fmt.Errorf("batch has no tensor %q", name)
	}
	return t, nil
}

// names returns the terms' names in order.
func (l *Loss) names() []string {
	names := make([]string, len(l.Terms))
	for i, t := range l.Terms {
		names[i] = t.Name
	}
	return names
}

// sameTerms checks that a resumed run's loss has the terms its checkpoint was trained with (a
// checkpoint that names none, written before they were recorded, passes).
func sameTerms(saved []string, l *Loss) error {
	if saved == nil || slices.Equal(saved, l.names()) {
		return nil
	}
	return fmt.Errorf("the run trained with loss terms %v, the resumed run has %v: resume it with the command that started it", saved, l.names())
}
