package compress

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestFakeQuant checks that the graph op's forward value is the host quantizer's dequantized value and
// that its gradient is the identity (straight-through).
func TestFakeQuant(t *testing.T) {
	backend := goBackend(t)
	r := rand.New(rand.NewPCG(3, 4))
	dims := []int{3, 3, 4, 6}
	n, _ := checkedLen(dims)
	values := make([]float32, n)
	for i := range values {
		values[i] = float32(r.NormFloat64() * math.Pow(4, float64(i%6-3)))
	}
	weights := make([]float32, n) // d(Σ w·fq(x))/dx = w under the straight-through estimator
	for i := range weights {
		weights[i] = r.Float32()
	}
	x := tensors.FromFlatDataAndDimensions(values, dims...)
	w := tensors.FromFlatDataAndDimensions(weights, dims...)
	for _, opt := range allQuantOptions() {
		if opt.Format == Float16 {
			if _, err := FakeQuant(nil, opt); err == nil {
				t.Error("float16 fake quant: no error")
			}
			continue
		}
		outs, err := graph.ExecOnceN(backend, func(x, w *graph.Node) []*graph.Node {
			fq, err := FakeQuant(x, opt)
			if err != nil {
				panic(err)
			}
			loss := graph.ReduceAllSum(graph.Mul(fq, w))
			return []*graph.Node{fq, graph.Gradient(loss, x)[0]}
		}, x, w)
		if err != nil {
			t.Fatalf("%+v: %v", opt, err)
		}
		got := tensors.MustCopyFlatData[float32](outs[0])
		grad := tensors.MustCopyFlatData[float32](outs[1])
		q, err := Quantize("x", values, dims, opt)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := q.Dequantize()
		for i := range want {
			tol := 1e-6 * (math.Abs(float64(values[i])) + math.Abs(float64(want[i])) + 1e-30)
			if math.Abs(float64(got[i]-want[i])) > tol {
				t.Fatalf("%+v value %d: fake quant %g, quantize/dequantize %g (of %g)", opt, i, got[i], want[i], values[i])
			}
			if grad[i] != weights[i] {
				t.Fatalf("%+v value %d: gradient %g, want %g (straight-through)", opt, i, grad[i], weights[i])
			}
		}
	}
}
