package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/nets"
)

// The graph's soft-argmax, which integral regression trains, is the codec's Integral decoding,
// which validation and prediction use: the same coordinates for random logits.
func TestSoftArgmaxMatchesCodecDecode(t *testing.T) {
	c, err := codec.New(codec.Integral, 48, 64, 12, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	const n, k = 2, 3
	rng := rand.New(rand.NewPCG(1, 2))
	logits := make([]float32, n*c.NumHeatPixels()*k)
	for i := range logits {
		logits[i] = float32(3 * rng.NormFloat64())
	}
	in := tensors.FromFlatDataAndDimensions(logits, n, c.HeatH, c.HeatW, k)
	out := graph.MustExecOnceN(testBackend(t), func(x *graph.Node) []*graph.Node {
		px, py := SoftArgmax(x, c)
		return []*graph.Node{px, py}
	}, in)
	gx, gy := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	preds, err := c.DecodeBatch(logits, n, k)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		for j := range k {
			p := preds[i][j]
			if math.Abs(float64(gx[i*k+j])-p.X) > 1e-3 || math.Abs(float64(gy[i*k+j])-p.Y) > 1e-3 {
				t.Errorf("sample %d joint %d: graph (%.4f, %.4f), codec (%.4f, %.4f)", i, j, gx[i*k+j], gy[i*k+j], p.X, p.Y)
			}
		}
	}
}

// IntegralL1's gradient with respect to the logits agrees with central finite differences.
func TestIntegralL1GradientMatchesFiniteDifferences(t *testing.T) {
	c, err := codec.New(codec.Integral, 16, 16, 4, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	const n, k = 2, 2
	rng := rand.New(rand.NewPCG(3, 4))
	logits := make([]float64, n*c.NumHeatPixels()*k)
	for i := range logits {
		logits[i] = rng.NormFloat64()
	}
	kps := []float64{3, 9, 2, 12.5, 1, 1, 7, 4, 2, 0.5, 14, 2}
	weights := []float64{1, 0.5, 1, 1}
	term := IntegralL1("l1", TensorKeypoints, c, nil)
	lossAndGrad := func(x []float64) (float64, []float64) {
		out := graph.MustExecOnceN(testBackend(t), func(l, kp, w *graph.Node) []*graph.Node {
			v := term.Build(TermInputs{Out: nets.Outputs{Heatmaps: l}, Tensors: map[string]*graph.Node{TensorKeypoints: kp, TensorWeights: w}})
			return []*graph.Node{v, graph.Gradient(v, l)[0]}
		}, tensors.FromFlatDataAndDimensions(x, n, c.HeatH, c.HeatW, k),
			tensors.FromFlatDataAndDimensions(kps, n, k, 3),
			tensors.FromFlatDataAndDimensions(weights, n, k))
		return tensors.MustCopyFlatData[float64](out[0])[0], tensors.MustCopyFlatData[float64](out[1])
	}
	_, grad := lossAndGrad(logits)
	const h = 1e-6
	for i := 0; i < len(logits); i += 3 {
		plus, minus := append([]float64(nil), logits...), append([]float64(nil), logits...)
		plus[i] += h
		minus[i] -= h
		lp, _ := lossAndGrad(plus)
		lm, _ := lossAndGrad(minus)
		fd := (lp - lm) / (2 * h)
		if math.Abs(fd-grad[i]) > 1e-6+1e-4*math.Abs(fd) {
			t.Errorf("logit %d: gradient %.8f, finite difference %.8f", i, grad[i], fd)
		}
	}
}

// TargetKL is KL(q ‖ softmax(logits)) against the normalised GT gaussians, computed here
// directly; it vanishes when the logits are the log of the target, and an unlabelled joint
// (weight 0, empty map) adds nothing.
func TestTargetKLMatchesDirectComputation(t *testing.T) {
	c, err := codec.New(codec.Integral, 32, 32, 8, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	const k = 2
	hw := c.NumHeatPixels()
	gt := make([]float32, hw*k)
	weights := make([]float32, k)
	if err := c.Encode([]codec.Keypoint{{X: 10, Y: 13, V: 2}, {V: 0}}, gt, weights); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	random := make([]float64, hw*k)
	for i := range random {
		random[i] = rng.NormFloat64()
	}
	// q, the normalised target of joint 0, and logits equal to log q (−30 where q is 0).
	var sum float64
	for p := range hw {
		sum += float64(gt[p*k])
	}
	atTarget := make([]float64, hw*k)
	for p := range hw {
		atTarget[p*k] = math.Log(max(float64(gt[p*k])/sum, math.Exp(-30)))
	}
	direct := func(logits []float64) float64 {
		var z float64
		for p := range hw {
			z += math.Exp(logits[p*k])
		}
		var kl float64
		for p := range hw {
			if q := float64(gt[p*k]) / sum; q > 0 {
				kl += q * (math.Log(q) - (logits[p*k] - math.Log(z)))
			}
		}
		return kl / k // averaged over joints; joint 1 has weight 0
	}
	term := TargetKL("kl", TensorHeatmaps, nil)
	for _, tc := range []struct {
		name   string
		logits []float64
	}{{"random", random}, {"at target", atTarget}} {
		gt64 := make([]float64, len(gt))
		for i, v := range gt {
			gt64[i] = float64(v)
		}
		w64 := []float64{float64(weights[0]), float64(weights[1])}
		out := graph.MustExecOnce(testBackend(t), func(l, h, w *graph.Node) *graph.Node {
			return term.Build(TermInputs{Out: nets.Outputs{Heatmaps: l}, Tensors: map[string]*graph.Node{TensorHeatmaps: h, TensorWeights: w}})
		}, tensors.FromFlatDataAndDimensions(tc.logits, 1, c.HeatH, c.HeatW, k),
			tensors.FromFlatDataAndDimensions(gt64, 1, c.HeatH, c.HeatW, k),
			tensors.FromFlatDataAndDimensions(w64, 1, k))
		got := tensors.MustCopyFlatData[float64](out)[0]
		want := direct(tc.logits)
		if math.Abs(got-want) > 1e-6 {
			t.Errorf("%s: TargetKL %.8f, direct %.8f", tc.name, got, want)
		}
		if tc.name == "at target" && math.Abs(got) > 1e-6 {
			t.Errorf("at target: TargetKL %.8f, want 0", got)
		}
	}
}

// TeacherIntegralL1 targets the centre of the teacher's peak, not of its whole map: a gaussian
// off the crop's centre on a constant background (as a sigmoid heatmap teacher outputs) gives a
// zero loss to a student whose soft-argmax is at the gaussian's centre.
func TestTeacherIntegralL1TargetsThePeak(t *testing.T) {
	c, err := codec.New(codec.Integral, 32, 32, 8, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	hw := c.NumHeatPixels()
	const px, py = 1.0, 2.0 // the peak, in heatmap pixels (the crop's centre is 3.5, 3.5)
	teacher := make([]float64, hw)
	student := make([]float64, hw) // logits: a sharp softmax at the same place
	for y := range c.HeatH {
		for x := range c.HeatW {
			d2 := (float64(x)-px)*(float64(x)-px) + (float64(y)-py)*(float64(y)-py)
			teacher[y*c.HeatW+x] = 0.05 + 0.95*math.Exp(-d2/2)
			student[y*c.HeatW+x] = -8 * d2
		}
	}
	term := TeacherIntegralL1("t", "teacher", c, nil)
	loss := func(background float64) float64 {
		m := make([]float64, hw)
		for i, v := range teacher {
			m[i] = v - 0.05 + background
		}
		out := graph.MustExecOnce(testBackend(t), func(l, tm, w *graph.Node) *graph.Node {
			return term.Build(TermInputs{Out: nets.Outputs{Heatmaps: l}, Tensors: map[string]*graph.Node{ExtraPrefix + "teacher": tm, TensorWeights: w}})
		}, tensors.FromFlatDataAndDimensions(student, 1, c.HeatH, c.HeatW, 1),
			tensors.FromFlatDataAndDimensions(m, 1, c.HeatH, c.HeatW, 1),
			tensors.FromFlatDataAndDimensions([]float64{1}, 1, 1))
		return tensors.MustCopyFlatData[float64](out)[0]
	}
	for _, bg := range []float64{0, 0.05, 0.2} {
		if l := loss(bg); l > 1e-3 {
			t.Errorf("background %.2f: loss %.5f, want ≈ 0 (the target is the peak's centre)", bg, l)
		}
	}
}
