// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

// Batch normalization for the go backend (added in the posedistill fork, see FORK.md at the module
// root): BatchNormForTraining, BatchNormGradient and BatchNormForInference with XLA's semantics
// (https://openxla.org/xla/operation_semantics#batchnormtraining): statistics over every axis but
// featureAxis, the biased batch variance, ε added before the square root.
//
// Without them a batch norm is built from about a dozen element-wise and reduction ops forward and as
// many backward, each its own pass over memory. Here the training forward pass reads the operand once
// for both moments (sums of x − K and (x − K)², K the first row, a shift that keeps the one-pass
// variance exact enough) and once more to write x·a + b; the gradient reads the operand and the
// output's gradient once for its two reductions and once more to write dx = dy·a + x·k1 + k0.
// Float32 with the feature axis last (NHWC) runs SIMD over the channels and splits the rows over the
// backend's workers; every other layout and dtype runs a scalar loop with the same arithmetic.

import (
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/pkg/errors"
)

func init() {
	gobackend.RegisterBatchNormForTraining.Register(BatchNormForTraining, gobackend.PriorityGeneric)
	gobackend.MultiOutputsNodeExecutors[compute.OpTypeBatchNormForTraining] = execBatchNormForTraining
	gobackend.RegisterBatchNormGradient.Register(BatchNormGradient, gobackend.PriorityGeneric)
	gobackend.MultiOutputsNodeExecutors[compute.OpTypeBatchNormGradient] = execBatchNormGradient
	gobackend.RegisterBatchNormForInference.Register(BatchNormForInference, gobackend.PriorityGeneric)
	gobackend.SetNodeExecutor(compute.OpTypeBatchNormForInference, gobackend.PriorityGeneric, execBatchNormForInference)
}

// batchNormNode holds a batch-norm node's parameters.
type batchNormNode struct {
	epsilon     float32
	featureAxis int
	// act is the activation fused into the op by the BatchNormActivationFusion pass
	// (batchnorm_act.go): applied to the output of BatchNormForTraining, or, in BatchNormGradient
	// (which then takes the activation's output as a sixth input), its VJP applied to gradOutput.
	act compute.ActivationType
}

// EqualNodeData implements gobackend.NodeDataComparable.
func (d *batchNormNode) EqualNodeData(other gobackend.NodeDataComparable) bool {
	return *d == *other.(*batchNormNode)
}

// checkBatchNormShapes verifies that the operand is a float tensor with featureAxis in range and
// that every per-feature input is a vector of the feature dimension with the operand's dtype.
func checkBatchNormShapes(name string, operand *gobackend.Node, featureAxis int, features ...*gobackend.Node) error {
	s := operand.Shape
	if !s.DType.IsFloat() {
		return errors.Errorf("%s: operand must be a float tensor, got %s", name, s)
	}
	if featureAxis < 0 || featureAxis >= s.Rank() {
		return errors.Errorf("%s: featureAxis %d out of range for operand %s", name, featureAxis, s)
	}
	c := s.Dimensions[featureAxis]
	for i, f := range features {
		if f.Shape.DType != s.DType || f.Shape.Rank() != 1 || f.Shape.Dimensions[0] != c {
			return errors.Errorf("%s: per-feature input #%d must be %s[%d], got %s", name, i, s.DType, c, f.Shape)
		}
	}
	return nil
}

// BatchNormForTraining normalizes operand with its batch statistics and returns them.
func BatchNormForTraining(f *gobackend.Function, operand, scale, offset compute.Value, epsilon float32, featureAxis int) (
	normalized, batchMean, batchVariance compute.Value, err error) {
	inputs, err := f.VerifyAndCastValues("BatchNormForTraining", operand, scale, offset)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkBatchNormShapes("BatchNormForTraining", inputs[0], featureAxis, inputs[1], inputs[2]); err != nil {
		return nil, nil, nil, err
	}
	fs := inputs[1].Shape
	node := f.NewMultiOutputsNode(compute.OpTypeBatchNormForTraining, []shapes.Shape{inputs[0].Shape, fs, fs}, inputs...)
	node.Data = &batchNormNode{epsilon: epsilon, featureAxis: featureAxis}
	return node.MultiOutputsNodes[0], node.MultiOutputsNodes[1], node.MultiOutputsNodes[2], nil
}

// BatchNormGradient returns the gradients of BatchNormForTraining with respect to its operand, scale
// and offset, given the batch statistics it returned and the gradient of its output.
func BatchNormGradient(f *gobackend.Function, operand, scale, mean, variance, gradOutput compute.Value, epsilon float32, featureAxis int) (
	gradOperand, gradScale, gradOffset compute.Value, err error) {
	inputs, err := f.VerifyAndCastValues("BatchNormGradient", operand, scale, mean, variance, gradOutput)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkBatchNormShapes("BatchNormGradient", inputs[0], featureAxis, inputs[1], inputs[2], inputs[3]); err != nil {
		return nil, nil, nil, err
	}
	if !inputs[4].Shape.Equal(inputs[0].Shape) {
		return nil, nil, nil, errors.Errorf("BatchNormGradient: gradOutput %s must have the operand's shape %s", inputs[4].Shape, inputs[0].Shape)
	}
	fs := inputs[1].Shape
	node := f.NewMultiOutputsNode(compute.OpTypeBatchNormGradient, []shapes.Shape{inputs[0].Shape, fs, fs}, inputs...)
	node.Data = &batchNormNode{epsilon: epsilon, featureAxis: featureAxis}
	return node.MultiOutputsNodes[0], node.MultiOutputsNodes[1], node.MultiOutputsNodes[2], nil
}

// BatchNormForInference normalizes operand with the given statistics.
func BatchNormForInference(f *gobackend.Function, operand, scale, offset, mean, variance compute.Value, epsilon float32, featureAxis int) (compute.Value, error) {
	inputs, err := f.VerifyAndCastValues("BatchNormForInference", operand, scale, offset, mean, variance)
	if err != nil {
		return nil, err
	}
	if err := checkBatchNormShapes("BatchNormForInference", inputs[0], featureAxis, inputs[1:]...); err != nil {
		return nil, err
	}
	node, _ := f.GetOrCreateNode(compute.OpTypeBatchNormForInference, inputs[0].Shape, inputs,
		&batchNormNode{epsilon: epsilon, featureAxis: featureAxis})
	return node, nil
}

// bnLayout is the operand viewed as [outer, c, inner] around the feature axis.
type bnLayout struct{ outer, c, inner int }

func newBNLayout(s shapes.Shape, featureAxis int) bnLayout {
	l := bnLayout{outer: 1, c: s.Dimensions[featureAxis], inner: 1}
	for i, d := range s.Dimensions {
		switch {
		case i < featureAxis:
			l.outer *= d
		case i > featureAxis:
			l.inner *= d
		}
	}
	return l
}

// count is the number of elements per feature.
func (l bnLayout) count() int { return l.outer * l.inner }

// getBuffers returns one new buffer per shape.
func getBuffers(backend *gobackend.Backend, shapes ...shapes.Shape) ([]*gobackend.Buffer, error) {
	out := make([]*gobackend.Buffer, len(shapes))
	for i, s := range shapes {
		b, err := backend.GetBuffer(s)
		if err != nil {
			return nil, errors.Wrapf(err, "batch norm: buffer for %s", s)
		}
		out[i] = b
	}
	return out, nil
}

func execBatchNormForTraining(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, _ []bool) ([]*gobackend.Buffer, error) {
	p := node.Data.(*batchNormNode)
	outs, err := getBuffers(backend, node.MultiOutputsShapes...)
	if err != nil || backend.NoOps {
		return outs, err
	}
	l := newBNLayout(inputs[0].RawShape, p.featureAxis)
	switch inputs[0].RawShape.DType {
	case dtypes.Float32:
		x, y := inputs[0].Flat.([]float32), outs[0].Flat.([]float32)
		scale, offset := inputs[1].Flat.([]float32), inputs[2].Flat.([]float32)
		mean, variance := outs[1].Flat.([]float32), outs[2].Flat.([]float32)
		act := bnActivation(p.act, y)
		if l.inner == 1 && l.count() > 0 {
			bnTrainChannelsLast(backend, x, scale, offset, y, mean, variance, l, float64(p.epsilon), act)
			return outs, nil
		}
		bnTrainGeneric(x, scale, offset, y, mean, variance, l, float64(p.epsilon))
		if act != nil {
			act(0, len(y))
		}
	case dtypes.Float64:
		y := outs[0].Flat.([]float64)
		bnTrainGeneric(inputs[0].Flat.([]float64), inputs[1].Flat.([]float64), inputs[2].Flat.([]float64),
			y, outs[1].Flat.([]float64), outs[2].Flat.([]float64), l, float64(p.epsilon))
		if act := bnActivation(p.act, y); act != nil {
			act(0, len(y))
		}
	default:
		return nil, errors.Wrapf(compute.ErrNotImplemented, "BatchNormForTraining: dtype %s", inputs[0].RawShape.DType)
	}
	return outs, nil
}

func execBatchNormGradient(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, _ []bool) ([]*gobackend.Buffer, error) {
	p := node.Data.(*batchNormNode)
	outs, err := getBuffers(backend, node.MultiOutputsShapes...)
	if err != nil || backend.NoOps {
		return outs, err
	}
	l := newBNLayout(inputs[0].RawShape, p.featureAxis)
	switch inputs[0].RawShape.DType {
	case dtypes.Float32:
		x, scale, mean, variance, dy := inputs[0].Flat.([]float32), inputs[1].Flat.([]float32), inputs[2].Flat.([]float32),
			inputs[3].Flat.([]float32), inputs[4].Flat.([]float32)
		dx, dScale, dOffset := outs[0].Flat.([]float32), outs[1].Flat.([]float32), outs[2].Flat.([]float32)
		var vjp func(lo, hi int)
		if p.act != compute.ActivationNone {
			// Fused activation: dy is its gradient and inputs[5] its output; its VJP goes to dx first.
			vjp = bnActivationVJP(p.act, inputs[5].Flat.([]float32), dy, dx)
			dy = dx
		}
		if l.inner == 1 && l.count() > 0 {
			bnGradChannelsLast(backend, x, scale, mean, variance, dy, dx, dScale, dOffset, l, float64(p.epsilon), vjp)
			return outs, nil
		}
		if vjp != nil {
			vjp(0, len(dx))
			dy = append([]float32(nil), dx...)
		}
		bnGradGeneric(x, scale, mean, variance, dy, dx, dScale, dOffset, l, float64(p.epsilon))
	case dtypes.Float64:
		dy, dx := inputs[4].Flat.([]float64), outs[0].Flat.([]float64)
		if p.act != compute.ActivationNone {
			g := make([]float64, len(dy))
			bnActivationVJP(p.act, inputs[5].Flat.([]float64), dy, g)(0, len(g))
			dy = g
		}
		bnGradGeneric(inputs[0].Flat.([]float64), inputs[1].Flat.([]float64), inputs[2].Flat.([]float64),
			inputs[3].Flat.([]float64), dy, dx, outs[1].Flat.([]float64), outs[2].Flat.([]float64), l, float64(p.epsilon))
	default:
		return nil, errors.Wrapf(compute.ErrNotImplemented, "BatchNormGradient: dtype %s", inputs[0].RawShape.DType)
	}
	return outs, nil
}

func execBatchNormForInference(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, _ []bool) (*gobackend.Buffer, error) {
	p := node.Data.(*batchNormNode)
	out, err := backend.GetBuffer(node.Shape)
	if err != nil || backend.NoOps {
		return out, err
	}
	l := newBNLayout(inputs[0].RawShape, p.featureAxis)
	switch inputs[0].RawShape.DType {
	case dtypes.Float32:
		bnInferGeneric(inputs[0].Flat.([]float32), inputs[1].Flat.([]float32), inputs[2].Flat.([]float32),
			inputs[3].Flat.([]float32), inputs[4].Flat.([]float32), out.Flat.([]float32), l, float64(p.epsilon))
	case dtypes.Float64:
		bnInferGeneric(inputs[0].Flat.([]float64), inputs[1].Flat.([]float64), inputs[2].Flat.([]float64),
			inputs[3].Flat.([]float64), inputs[4].Flat.([]float64), out.Flat.([]float64), l, float64(p.epsilon))
	default:
		return nil, errors.Wrapf(compute.ErrNotImplemented, "BatchNormForInference: dtype %s", inputs[0].RawShape.DType)
	}
	return out, nil
}

// bnFloat are the dtypes of the scalar batch-norm loops.
type bnFloat interface{ ~float32 | ~float64 }

// bnAffine is the per-feature y = x·a + b of a normalization with the given statistics.
func bnAffine(scale, offset, mean, variance, epsilon float64) (a, b float64) {
	a = scale / math.Sqrt(variance+epsilon)
	return a, offset - mean*a
}

// bnTrainGeneric is BatchNormForTraining for any layout, scalar.
func bnTrainGeneric[T bnFloat](x, scale, offset, y, mean, variance []T, l bnLayout, epsilon float64) {
	n := float64(l.count())
	for c := range l.c {
		var k, s1, s2 float64
		if n > 0 {
			k = float64(x[c*l.inner])
		}
		for o := range l.outer {
			for _, v := range x[(o*l.c+c)*l.inner:][:l.inner] {
				d := float64(v) - k
				s1 += d
				s2 += d * d
			}
		}
		m, va := k, 0.0
		if n > 0 {
			m = k + s1/n
			va = max(0, (s2-s1*s1/n)/n)
		}
		mean[c], variance[c] = T(m), T(va)
		a, b := bnAffine(float64(scale[c]), float64(offset[c]), m, va, epsilon)
		for o := range l.outer {
			base := (o*l.c + c) * l.inner
			for i, v := range x[base:][:l.inner] {
				y[base+i] = T(float64(v)*a + b)
			}
		}
	}
}

// bnGradGeneric is BatchNormGradient for any layout, scalar.
func bnGradGeneric[T bnFloat](x, scale, mean, variance, dy, dx, dScale, dOffset []T, l bnLayout, epsilon float64) {
	n := float64(l.count())
	for c := range l.c {
		m := float64(mean[c])
		var sdy, sdyx float64
		for o := range l.outer {
			base := (o*l.c + c) * l.inner
			for i, g := range dy[base:][:l.inner] {
				sdy += float64(g)
				sdyx += float64(g) * (float64(x[base+i]) - m)
			}
		}
		a, k1, k0, ds := bnGradCoefficients(float64(scale[c]), m, float64(variance[c]), sdy, sdyx, n, epsilon)
		dScale[c], dOffset[c] = T(ds), T(sdy)
		for o := range l.outer {
			base := (o*l.c + c) * l.inner
			for i, g := range dy[base:][:l.inner] {
				dx[base+i] = T(float64(g)*a + float64(x[base+i])*k1 + k0)
			}
		}
	}
}

// bnGradCoefficients returns, for one feature with Σdy = sdy and Σdy·(x − mean) = sdyx over n
// elements, the coefficients of dx = dy·a + x·k1 + k0 and the scale's gradient ds:
// dx = scale/σ·(dy − Σdy/n − x̂·Σ(dy·x̂)/n) with x̂ = (x − mean)/σ.
func bnGradCoefficients(scale, mean, variance, sdy, sdyx, n, epsilon float64) (a, k1, k0, ds float64) {
	invStd := 1 / math.Sqrt(variance+epsilon)
	a = scale * invStd
	if n == 0 {
		return a, 0, 0, 0
	}
	k1 = -a * invStd * invStd * sdyx / n
	k0 = -a*sdy/n - mean*k1
	return a, k1, k0, sdyx * invStd
}

// bnInferGeneric is BatchNormForInference for any layout, scalar.
func bnInferGeneric[T bnFloat](x, scale, offset, mean, variance, y []T, l bnLayout, epsilon float64) {
	for c := range l.c {
		a, b := bnAffine(float64(scale[c]), float64(offset[c]), float64(mean[c]), float64(variance[c]), epsilon)
		for o := range l.outer {
			base := (o*l.c + c) * l.inner
			for i, v := range x[base:][:l.inner] {
				y[base+i] = T(float64(v)*a + b)
			}
		}
	}
}

// bnBlock is how many pattern chunks the channels-last kernels sum in float32 before adding the
// block's sums into float64 totals (two-level summation).
const bnBlock = 32

// bnPattern describes the channels-last kernels' view of a rows×c matrix: flat chunks of p elements,
// p the least common multiple of c and the SIMD width, so that every chunk is whole vectors and the
// per-channel coefficients repeat with period p; the rows past the last whole chunk (fewer than
// p/c) are the scalar tail.
type bnPattern struct {
	c, p, chunks, tailRows int
}

func newBNPattern(rows, c int) bnPattern {
	vl := bnVectorLen()
	p := c
	for p%vl != 0 {
		p += c
	}
	per := p / c // rows per chunk
	return bnPattern{c: c, p: p, chunks: rows / per, tailRows: rows % per}
}

// repeat returns the per-channel values v repeated to the pattern's period.
func (bp bnPattern) repeat(v []float32) []float32 {
	out := make([]float32, bp.p)
	for i := range out {
		out[i] = v[i%bp.c]
	}
	return out
}

// sums returns the float64 per-channel sums Σ(x − k) and Σ(x − k)² (or, with v, Σv and Σv·(x − k))
// over the rows×c matrix x, splitting the chunks over the workers.
//
// pre, if not nil, is called on each range of elements [lo, hi) before it is read (the fused
// activation's VJP writes v there).
func (bp bnPattern) sums(backend *gobackend.Backend, x, v, k []float32, pre func(lo, hi int)) (s1, s2 []float64) {
	c, p := bp.c, bp.p
	kp := bp.repeat(k)
	chunks := numChunks(backend, bp.chunks*p)
	p1 := make([][]float64, chunks)
	p2 := make([][]float64, chunks)
	parallelRows(backend, bp.chunks, bp.chunks*p, func(start, end, chunk int) {
		t1, t2 := make([]float64, p), make([]float64, p)
		b1, b2 := make([]float32, p), make([]float32, p)
		for r := start; r < end; r += bnBlock {
			re := min(end, r+bnBlock)
			if pre != nil {
				pre(r*p, re*p)
			}
			if v == nil {
				bnSumsBlock(b1, b2, x[r*p:re*p], nil, kp, bp.chunks*p) // batchnorm_rows_simd.go
			} else {
				bnSumsBlock(b1, b2, x[r*p:re*p], v[r*p:re*p], kp, bp.chunks*p)
			}
			for i := range p {
				t1[i] += float64(b1[i])
				t2[i] += float64(b2[i])
			}
		}
		p1[chunk], p2[chunk] = t1, t2
	}, chunks)
	s1, s2 = make([]float64, c), make([]float64, c)
	for i := range p1 {
		if p1[i] == nil {
			continue
		}
		for j := range p {
			s1[j%c] += p1[i][j]
			s2[j%c] += p2[i][j]
		}
	}
	if pre != nil && bp.tailRows > 0 {
		pre(bp.chunks*p, bp.chunks*p+bp.tailRows*c)
	}
	for i := bp.chunks * p; i < bp.chunks*p+bp.tailRows*c; i++ {
		ch := i % c
		d := float64(x[i]) - float64(k[ch])
		if v == nil {
			s1[ch] += d
			s2[ch] += d * d
		} else {
			s1[ch] += float64(v[i])
			s2[ch] += float64(v[i]) * d
		}
	}
	return s1, s2
}

// affine writes out = x·a + b (and, with v, out = v·a + x·k1 + b), a, k1 and b per channel, splitting
// the chunks over the workers. pre and post, if not nil, are called on each range of elements
// [lo, hi), before it is read and after it is written (the fused activation, or its VJP).
func (bp bnPattern) affine(backend *gobackend.Backend, x, v, a, k1, b, out []float32, pre, post func(lo, hi int)) {
	c, p := bp.c, bp.p
	ap, bpat := bp.repeat(a), bp.repeat(b)
	var k1p []float32
	if v != nil {
		k1p = bp.repeat(k1)
	}
	apply := func(lo, hi int) {
		if pre != nil {
			pre(lo, hi)
		}
		if v == nil {
			bnApply(out[lo:hi], x[lo:hi], ap, bpat)
		} else {
			bnApplyGrad(out[lo:hi], v[lo:hi], x[lo:hi], ap, k1p, bpat)
		}
		if post != nil {
			post(lo, hi)
		}
	}
	parallelRows(backend, bp.chunks, bp.chunks*p, func(start, end, _ int) {
		if pre == nil && post == nil {
			apply(start*p, end*p)
			return
		}
		for r := start; r < end; r += bnBlock { // blocks that stay in cache between the passes
			apply(r*p, min(end, r+bnBlock)*p)
		}
	}, numChunks(backend, bp.chunks*p))
	tail := bp.chunks * p
	if pre != nil && bp.tailRows > 0 {
		pre(tail, tail+bp.tailRows*c)
	}
	for i := bp.chunks * p; i < bp.chunks*p+bp.tailRows*c; i++ {
		ch := i % c
		if v == nil {
			out[i] = x[i]*a[ch] + b[ch]
		} else {
			out[i] = v[i]*a[ch] + x[i]*k1[ch] + b[ch]
		}
	}
	if post != nil && bp.tailRows > 0 {
		post(tail, tail+bp.tailRows*c)
	}
}

// bnTrainChannelsLast is BatchNormForTraining for float32 with the feature axis last.
// post, if not nil, is called on each range of y once written.
func bnTrainChannelsLast(backend *gobackend.Backend, x, scale, offset, y, mean, variance []float32, l bnLayout, epsilon float64, post func(lo, hi int)) {
	c, rows := l.c, l.outer
	bp := newBNPattern(rows, c)
	k := x[:c] // the shift: the first row
	s1, s2 := bp.sums(backend, x, nil, k, nil)
	n := float64(rows)
	a, b := make([]float32, c), make([]float32, c)
	for ch := range c {
		m := float64(k[ch]) + s1[ch]/n
		va := max(0, (s2[ch]-s1[ch]*s1[ch]/n)/n)
		mean[ch], variance[ch] = float32(m), float32(va)
		af, bf := bnAffine(float64(scale[ch]), float64(offset[ch]), m, va, epsilon)
		a[ch], b[ch] = float32(af), float32(bf)
	}
	bp.affine(backend, x, nil, a, nil, b, y, nil, post)
}

// bnGradChannelsLast is BatchNormGradient for float32 with the feature axis last.
// pre, if not nil, is called on each range of elements before dy is first read there (the fused
// activation's VJP, with dy the dx buffer it fills; dx = dy·a + … is then computed in place).
func bnGradChannelsLast(backend *gobackend.Backend, x, scale, mean, variance, dy, dx, dScale, dOffset []float32, l bnLayout, epsilon float64, pre func(lo, hi int)) {
	c, rows := l.c, l.outer
	bp := newBNPattern(rows, c)
	sdy, sdyx := bp.sums(backend, x, dy, mean, pre)
	n := float64(rows)
	a, k1, k0 := make([]float32, c), make([]float32, c), make([]float32, c)
	for ch := range c {
		af, k1f, k0f, ds := bnGradCoefficients(float64(scale[ch]), float64(mean[ch]), float64(variance[ch]), sdy[ch], sdyx[ch], n, epsilon)
		a[ch], k1[ch], k0[ch] = float32(af), float32(k1f), float32(k0f)
		dScale[ch], dOffset[ch] = float32(ds), float32(sdy[ch])
	}
	bp.affine(backend, x, dy, a, k1, k0, dx, nil, nil) // with pre, dy is dx (written by the sums' pass)
}
