package layers

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestDeconvMatchesDefinition checks the phase-split transposed convolution against a direct loop over
// the definition out[2i−1+ky, 2j−1+kx] += x[i, j]·W[ky, kx].
func TestDeconvMatchesDefinition(t *testing.T) {
	backend := goBackend(t)
	const n, h, w, in, out = 2, 3, 5, 3, 4
	x := randomTensor[float32](7, n, h, w, in)
	res, err := model.CallOnceN(backend, newStore(3), func(scope *model.Scope, x *graph.Node) []*graph.Node {
		s := scope.At("deconv")
		y := Deconv(s, x).Channels(out).Done()
		return []*graph.Node{y, s.GetVariable("weights").NodeValue(x.Graph())}
	}, x)
	if err != nil {
		t.Fatal(err)
	}
	xs := tensors.MustCopyFlatData[float32](x)
	ws := tensors.MustCopyFlatData[float32](res[1])
	want := make([]float32, n*2*h*2*w*out)
	for b := range n {
		for i := range h {
			for j := range w {
				for ky := range 4 {
					for kx := range 4 {
						oy, ox := 2*i-1+ky, 2*j-1+kx
						if oy < 0 || oy >= 2*h || ox < 0 || ox >= 2*w {
							continue
						}
						for c := range in {
							for o := range out {
								want[((b*2*h+oy)*2*w+ox)*out+o] += xs[((b*h+i)*w+j)*in+c] * ws[((ky*4+kx)*in+c)*out+o]
							}
						}
					}
				}
			}
		}
	}
	assertClose(t, res[0], tensors.FromFlatDataAndDimensions(want, n, 2*h, 2*w, out), 1e-5)
}

// TestUpsampleMatchesDefinition checks both 2× interpolations against direct formulas.
func TestUpsampleMatchesDefinition(t *testing.T) {
	backend := goBackend(t)
	const h, w = 3, 4
	x := randomTensor[float32](9, 1, h, w, 1)
	xs := tensors.MustCopyFlatData[float32](x)
	at := func(i, j int) float32 {
		return xs[min(max(i, 0), h-1)*w+min(max(j, 0), w-1)]
	}
	// Half-pixel bilinear weights of output index o along one axis: source position (o+0.5)/2−0.5.
	weights := func(o int) (lo int, wl float32) {
		if o%2 == 0 {
			return o/2 - 1, 0.25
		}
		return o / 2, 0.75
	}
	for _, tc := range []struct {
		mode Resize
		want func(i, j int) float32
	}{
		{Nearest, func(i, j int) float32 { return at(i/2, j/2) }},
		{Bilinear, func(i, j int) float32 {
			li, wi := weights(i)
			lj, wj := weights(j)
			return wi*wj*at(li, lj) + wi*(1-wj)*at(li, lj+1) + (1-wi)*wj*at(li+1, lj) + (1-wi)*(1-wj)*at(li+1, lj+1)
		}},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			got, err := model.CallOnce(backend, newStore(1), func(_ *model.Scope, x *graph.Node) *graph.Node {
				return Upsample2x(x, tc.mode)
			}, x)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float32, 0, 4*h*w)
			for i := range 2 * h {
				for j := range 2 * w {
					want = append(want, tc.want(i, j))
				}
			}
			assertClose(t, got, tensors.FromFlatDataAndDimensions(want, 1, 2*h, 2*w, 1), 1e-6)
		})
	}
}

// TestBatchNormFoldMatchesTraining checks that inference mode (batch norm folded into the weights)
// equals training-mode normalization when the running statistics equal the batch statistics: after
// one training step with momentum 0.1 from (0, 1) they do not, so set them by many steps on one batch.
func TestBatchNormFoldMatchesTraining(t *testing.T) {
	backend := goBackend(t)
	store := newStore(5)
	x := randomTensor[float32](11, 4, 3, 3, 2)
	build := func(training bool) func(scope *model.Scope, x *graph.Node) *graph.Node {
		return func(scope *model.Scope, x *graph.Node) *graph.Node {
			return Conv(scope.At("c"), x).Channels(3).Kernel(3).Bias(true).BatchNorm(true).Training(training).Done()
		}
	}
	trainExec, err := model.NewExec(backend, store, build(true))
	if err != nil {
		t.Fatal(err)
	}
	var trained *tensors.Tensor
	for range 200 { // running stats converge to the batch's (variance up to the n/(n−1) factor)
		if trained, err = trainExec.Call1(x); err != nil {
			t.Fatal(err)
		}
	}
	inferred, err := model.CallOnce(backend, store, build(false), x)
	if err != nil {
		t.Fatal(err)
	}
	// Unbiased running variance is n/(n−1) = 36/35 larger: outputs shrink by sqrt(35/36) ≈ 0.986.
	tv := tensors.MustCopyFlatData[float32](trained)
	iv := tensors.MustCopyFlatData[float32](inferred)
	for i := range tv {
		if d := iv[i] - tv[i]*0.98601; d > 2e-3 || d < -2e-3 {
			t.Fatalf("element %d: inference %g, training %g", i, iv[i], tv[i])
		}
	}
}

// TestMaxPoolMatchesDefinition checks 3×3 stride-2 max pooling (padding 1, padded cells ignored)
// against a direct loop, on an odd-sized input.
func TestMaxPoolMatchesDefinition(t *testing.T) {
	backend := goBackend(t)
	const h, w, c = 7, 6, 2
	x := randomTensor[float32](13, 1, h, w, c)
	got, err := model.CallOnce(backend, newStore(1), func(_ *model.Scope, x *graph.Node) *graph.Node {
		return MaxPool(x, 3, 2)
	}, x)
	if err != nil {
		t.Fatal(err)
	}
	xs := tensors.MustCopyFlatData[float32](x)
	oh, ow := (h-1)/2+1, (w-1)/2+1
	want := make([]float32, 0, oh*ow*c)
	for i := range oh {
		for j := range ow {
			for k := range c {
				m := float32(math.Inf(-1))
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						y, xx := 2*i+dy, 2*j+dx
						if y >= 0 && y < h && xx >= 0 && xx < w {
							m = max(m, xs[(y*w+xx)*c+k])
						}
					}
				}
				want = append(want, m)
			}
		}
	}
	assertClose(t, got, tensors.FromFlatDataAndDimensions(want, 1, oh, ow, c), 0)
}
