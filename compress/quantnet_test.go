package compress

import (
	"context"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/nets"
)

// TestBuildQuantizedZeroSpec checks that BuildQuantized without quantization computes exactly what
// nets.Build does, for every test architecture (its per-layer hook must change nothing).
func TestBuildQuantizedZeroSpec(t *testing.T) {
	backend := goBackend(t)
	for name, tc := range testNets(t) {
		t.Run(name, func(t *testing.T) {
			store := randomStore(t, backend, tc.net, 3)
			images := randomImages(4, 2, tc.h, tc.w, tc.net.InputChannels)
			want := predict(t, backend, tc.net, store, images)
			got := quantPredict(t, backend, tc.net, store, QuantSpec{}, images)
			for h := range want {
				for i := range want[h] {
					if got[h][i] != want[h][i] {
						t.Fatalf("head %d value %d: %g, nets.Build %g", h, i, got[h][i], want[h][i])
					}
				}
			}
		})
	}
}

// TestQuantWeightsMatchFoldedInt8 checks that fake-quantizing the weights in the graph before
// batch norm is folded gives the network export.FoldBatchNorm(…, true) stores (per-channel codes
// commute with batch norm's per-channel scale), up to float32 rounding.
func TestQuantWeightsMatchFoldedInt8(t *testing.T) {
	backend := goBackend(t)
	tc := testNets(t)["allops"]
	store := randomStore(t, backend, tc.net, 8)
	images := randomImages(9, 2, tc.h, tc.w, 3)
	fn, fs, err := export.FoldBatchNorm(tc.net, store, "", true)
	if err != nil {
		t.Fatal(err)
	}
	want := predict(t, backend, fn, fs, images)
	got := quantPredict(t, backend, tc.net, store, QuantSpec{Weights: true}, images)
	float := predict(t, backend, tc.net, store, images)
	if d := relDiff(got, want); d > 1e-4 {
		t.Errorf("graph int8 weights vs folded int8 weights: relative difference %g", d)
	}
	if d := relDiff(float, want); d < 1e-4 {
		t.Errorf("int8 weights changed the outputs by only %g: quantization not applied?", d)
	}
}

// TestCalibrate checks the calibration's invariants on a small MoVNect: the input's range is the
// images' exact range, each head's range is that of the float predictor's outputs, and every
// percentile range lies within the min/max range and shrinks as the percentile falls.
func TestCalibrate(t *testing.T) {
	backend := goBackend(t)
	tc := testNets(t)["movnect"]
	store := randomStore(t, backend, tc.net, 5)
	batches := []*tensors.Tensor{randomImages(1, 2, tc.h, tc.w, 3), randomImages(2, 3, tc.h, tc.w, 3)}
	cal, err := Calibrate(context.Background(), backend, tc.net, store, batches, CalibrationOptions{Samples: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(cal.Names) != len(tc.net.Layers)+1 || len(cal.MinMax) != len(cal.Names) {
		t.Fatalf("%d names, %d ranges for %d layers", len(cal.Names), len(cal.MinMax), len(tc.net.Layers))
	}
	exact := func(values ...[]float32) ActRange {
		r := ActRange{Lo: 1e30, Hi: -1e30}
		for _, vs := range values {
			for _, v := range vs {
				r.Lo, r.Hi = min(r.Lo, float64(v)), max(r.Hi, float64(v))
			}
		}
		return r
	}
	in := exact(tensors.MustCopyFlatData[float32](batches[0]), tensors.MustCopyFlatData[float32](batches[1]))
	if cal.MinMax[nets.Input] != in {
		t.Errorf("input range %+v, images %+v", cal.MinMax[nets.Input], in)
	}
	h0, h1 := predict(t, backend, tc.net, store, batches[0]), predict(t, backend, tc.net, store, batches[1])
	if got, want := cal.MinMax[tc.net.Heads.Heatmaps], exact(h0[0], h1[0]); got != want {
		t.Errorf("heatmap range %+v, predictor %+v", got, want)
	}
	prev, err := cal.Percentile(100)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []float64{99.99, 99, 90} {
		pr, err := cal.Percentile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range cal.Names {
			mm, r, wider := cal.MinMax[name], pr[name], prev[name]
			if r.Lo < mm.Lo || r.Hi > mm.Hi || r.Lo > r.Hi {
				t.Fatalf("p%g %s: %+v outside min/max %+v", p, name, r, mm)
			}
			if r.Lo < wider.Lo || r.Hi > wider.Hi {
				t.Fatalf("p%g %s: %+v wider than the higher percentile's %+v", p, name, r, wider)
			}
		}
		prev = pr
	}
	for _, p := range []float64{50, 100.1, -1} {
		if _, err := cal.Percentile(p); err == nil {
			t.Errorf("percentile %g: no error", p)
		}
	}
	if _, err := Calibrate(context.Background(), backend, tc.net, store, nil, CalibrationOptions{}); err == nil {
		t.Error("no batches: no error")
	}
}

// TestPTQCloseToFloat checks that int8 weights plus uint8 activations calibrated on the same images
// keep a small network's heatmaps near the float ones, and that the spec rejects unknown layers.
func TestPTQCloseToFloat(t *testing.T) {
	backend := goBackend(t)
	tc := testNets(t)["movnect"]
	store := randomStore(t, backend, tc.net, 5)
	images := randomImages(1, 4, tc.h, tc.w, 3)
	cal, err := Calibrate(context.Background(), backend, tc.net, store, []*tensors.Tensor{images}, CalibrationOptions{})
	if err != nil {
		t.Fatal(err)
	}
	acts, err := ActQuants(cal.MinMax)
	if err != nil {
		t.Fatal(err)
	}
	fn, fs, err := export.FoldBatchNorm(tc.net, store, "", true)
	if err != nil {
		t.Fatal(err)
	}
	got := quantPredict(t, backend, fn, fs, QuantSpec{Activations: acts}, images)
	want := predict(t, backend, tc.net, store, images)
	d := relDiff(got, want)
	t.Logf("int8 PTQ vs float: relative max difference %.4f", d)
	if d > 0.25 || d == 0 {
		t.Errorf("int8 PTQ vs float: relative difference %g, want in (0, 0.25]", d)
	}
	if _, err := NewQuantPredictor(backend, fs, fn, QuantSpec{Activations: map[string]export.ActQuant{"nope": {Scale: 1}}}); err == nil {
		t.Error("unknown layer: no error")
	}
}

// quantPredict returns the heads of a NewQuantPredictor predictor, flattened, as predict does for nets.Predictor.
func quantPredict(t testing.TB, backend compute.Backend, net *nets.Net, store *model.Store, spec QuantSpec, images *tensors.Tensor) [][]float32 {
	t.Helper()
	p, err := NewQuantPredictor(backend, store, net, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Finalize()
	pred, err := p.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	return flatHeads(pred)
}
