package compress

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/export"
)

// TestFakeQuantActivation checks the graph op against the host quantizer: every value inside the
// range is reproduced within scale/2, values outside saturate at the range's ends, and the gradient
// is 1 inside the range and 0 outside (clipped straight-through) with ste, while without ste the
// forward values are identical.
func TestFakeQuantActivation(t *testing.T) {
	backend := goBackend(t)
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		name   string
		lo, hi float64
	}{{"relu6", 0, 6}, {"signed", -2.5, 7.25}, {"negative", -3, -1}, {"tiny", -1e-3, 1e-3}} {
		q, err := export.NewActQuant(tc.lo, tc.hi)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := q.Range()
		// The zero point is rounded to an integer: the range shifts by at most scale/2.
		half := float64(q.Scale) / 2 * (1 + 1e-5)
		if float64(lo) > min(tc.lo, 0)+half || float64(hi) < max(tc.hi, 0)-half {
			t.Fatalf("%s: representable range [%g, %g] misses [%g, %g]", tc.name, lo, hi, tc.lo, tc.hi)
		}
		n := 4096
		values := make([]float32, n)
		span := float64(hi - lo)
		for i := range values {
			values[i] = float32(float64(lo) - 0.2*span + 1.4*span*r.Float64())
		}
		values[0], values[1] = 0, lo
		x := tensors.FromFlatDataAndDimensions(values, 2, 8, 16, 16)
		for _, ste := range []bool{false, true} {
			outs, err := graph.ExecOnceN(backend, func(x *graph.Node) []*graph.Node {
				y, err := FakeQuantActivation(x, q, ste)
				if err != nil {
					panic(err)
				}
				if !ste {
					return []*graph.Node{y, y} // Round has no gradient: only the STE form is differentiable
				}
				return []*graph.Node{y, graph.Gradient(graph.ReduceAllSum(y), x)[0]}
			}, x)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			got := tensors.MustCopyFlatData[float32](outs[0])
			grad := tensors.MustCopyFlatData[float32](outs[1])
			for i, v := range values {
				want := q.Dequantize(q.Quantize(v))
				tol := 0.0
				if ste {
					tol = 1e-6 * float64(max(-lo, hi)) // x + (y − x) rounds in float32
				}
				if math.Abs(float64(got[i]-want)) > tol {
					t.Fatalf("%s ste=%v: fq(%g) = %g, host Q/DQ %g", tc.name, ste, v, got[i], want)
				}
				inside := v >= lo && v <= hi
				if inside && math.Abs(float64(got[i]-v)) > float64(q.Scale)/2*(1+1e-5) {
					t.Fatalf("%s: fq(%g) = %g, more than scale/2 = %g away", tc.name, v, got[i], q.Scale/2)
				}
				if !inside && got[i] != lo && got[i] != hi && math.Abs(float64(got[i]-want)) > tol {
					t.Fatalf("%s: fq(%g) = %g did not saturate to [%g, %g]", tc.name, v, got[i], lo, hi)
				}
				if ste {
					wantGrad := float32(0)
					if inside {
						wantGrad = 1
					}
					if grad[i] != wantGrad && v != lo && v != hi { // either at the ends

						t.Fatalf("%s: gradient at %g is %g, want %g", tc.name, v, grad[i], wantGrad)
					}
				}
			}
		}
	}
	if _, err := FakeQuantActivation(nil, export.ActQuant{}, false); err == nil {
		t.Error("zero scale: no error")
	}
}
