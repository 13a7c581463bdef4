package export

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
)

// onnxTolerance is the largest accepted max|ONNX Runtime − Go| relative to the largest |Go| output.
const onnxTolerance = 1e-4

// TestONNXMatchesPredictor exports small networks of every architecture (and one with every layer
// kind) with randomized batch-norm statistics, runs them in ONNX Runtime and compares every head
// with nets.Predictor on the go backend, in NHWC and NCHW layouts.
func TestONNXMatchesPredictor(t *testing.T) {
	ortRunner(t)
	backend := goBackend(t)
	for name, tc := range testNets(t) {
		t.Run(name, func(t *testing.T) {
			store := randomStore(t, backend, tc.net, 3)
			images := randomImages(5, 2, tc.h, tc.w, tc.net.InputChannels)
			want := predict(t, backend, tc.net, store, images)
			flat := tensors.MustCopyFlatData[float32](images)
			for _, nchw := range []bool{false, true} {
				b, err := ONNX(tc.net, store, ONNXOptions{NCHW: nchw})
				if err != nil {
					t.Fatal(err)
				}
				in, dims := flat, []int{2, tc.h, tc.w, tc.net.InputChannels}
				if nchw {
					in, dims = nhwcToNCHW(flat, dims), []int{2, tc.net.InputChannels, tc.h, tc.w}
				}
				got := runORT(t, b, in, dims, 0)
				if len(got.Outputs) != len(want) {
					t.Fatalf("nchw=%v: outputs %v, want %d heads", nchw, got.Dims, len(want))
				}
				for head, w := range want {
					wd := w.Shape().Dimensions
					gv := got.Outputs[head]
					if nchw {
						if !slices.Equal(got.Dims[head], []int{wd[0], wd[3], wd[1], wd[2]}) {
							t.Fatalf("%s: dims %v, want NCHW of %v", head, got.Dims[head], wd)
						}
						gv = nchwToNHWC(gv, got.Dims[head])
					} else if !slices.Equal(got.Dims[head], wd) {
						t.Fatalf("%s: dims %v, want %v", head, got.Dims[head], wd)
					}
					d := relMaxDiff(gv, tensors.MustCopyFlatData[float32](w))
					t.Logf("nchw=%v %s: max relative difference %.2g", nchw, head, d)
					if d > onnxTolerance {
						t.Errorf("nchw=%v %s: ONNX Runtime differs from the Go predictor by %.3g (relative), over %g", nchw, head, d, onnxTolerance)
					}
				}
			}
		})
	}
}

// TestONNXInt8Weights exports with int8 weights (DequantizeLinear before each Conv) and compares ONNX
// Runtime with the Go predictor running the same quantized weights (FoldBatchNorm with int8); the file
// must shrink (below 60% on these small nets, where biases and names weigh more than in real ones).
func TestONNXInt8Weights(t *testing.T) {
	ortRunner(t)
	backend := goBackend(t)
	for name, tc := range testNets(t) {
		t.Run(name, func(t *testing.T) {
			store := randomStore(t, backend, tc.net, 4)
			images := randomImages(6, 1, tc.h, tc.w, tc.net.InputChannels)
			ref, refStore, err := FoldBatchNorm(tc.net, store, "", true)
			if err != nil {
				t.Fatal(err)
			}
			want := predict(t, backend, ref, refStore, images)
			b, err := ONNX(tc.net, store, ONNXOptions{Int8Weights: true})
			if err != nil {
				t.Fatal(err)
			}
			f32, err := ONNX(tc.net, store, ONNXOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := runORT(t, b, tensors.MustCopyFlatData[float32](images), []int{1, tc.h, tc.w, tc.net.InputChannels}, 0)
			for head, w := range want {
				d := relMaxDiff(got.Outputs[head], tensors.MustCopyFlatData[float32](w))
				if d > onnxTolerance {
					t.Errorf("%s: ONNX Runtime (int8 weights) differs from the Go predictor by %.3g (relative)", head, d)
				}
			}
			t.Logf("int8 model %d bytes, float32 model %d bytes (%.0f%%)", len(b), len(f32), 100*float64(len(b))/float64(len(f32)))
			if 10*len(b) >= 6*len(f32) {
				t.Errorf("int8 model %d bytes is not under 60%% of the float32 model's %d", len(b), len(f32))
			}
		})
	}
}

// TestONNXChecker validates exported models with the onnx package's full checker (shape inference
// included) through Debian's python3-onnx.
func TestONNXChecker(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import onnx").Run(); err != nil {
		t.Skip("/usr/bin/python3 with onnx is not available")
	}
	backend := goBackend(t)
	dir := t.TempDir()
	var paths []string
	for name, tc := range testNets(t) {
		store := randomStore(t, backend, tc.net, 1)
		for i, opt := range []ONNXOptions{{}, {NCHW: true, Batch: 1, Height: tc.h, Width: tc.w}, {Int8Weights: true}} {
			path := filepath.Join(dir, fmt.Sprintf("%s-%d.onnx", name, i))
			if err := WriteONNX(path, tc.net, store, opt); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, path)
		}
	}
	out, err := exec.Command("/usr/bin/python3", append([]string{filepath.Join("testdata", "check_onnx.py")}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx.checker: %v\n%s", err, out)
	}
	var ops [][]string
	if err := json.Unmarshal(out, &ops); err != nil || len(ops) != len(paths) {
		t.Fatalf("checker output %q: %v", out, err)
	}
	for i, list := range ops {
		for _, op := range list {
			if !slices.Contains([]string{"Conv", "ConvTranspose", "Relu", "Clip", "Sigmoid", "Add", "Concat", "Resize", "MaxPool", "Transpose", "Identity", "DequantizeLinear"}, op) {
				t.Errorf("%s: unexpected op %s (batch norm should be folded)", filepath.Base(paths[i]), op)
			}
		}
	}
}

// TestORTCompare runs two exported models in turn in one ONNX Runtime process.
func TestORTCompare(t *testing.T) {
	r := ortRunner(t)
	backend := goBackend(t)
	net := allOpsNet()
	store := randomStore(t, backend, net, 2)
	dir := t.TempDir()
	var paths []string
	for i, opt := range []ONNXOptions{{}, {Int8Weights: true}} {
		paths = append(paths, filepath.Join(dir, fmt.Sprintf("m%d.onnx", i)))
		if err := WriteONNX(paths[i], net, store, opt); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := r.Compare(context.Background(), paths, tensors.MustCopyFlatData[float32](randomImages(1, 1, 16, 16, 3)), []int{1, 16, 16, 3}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || len(ms[0]) != 3 || len(ms[1]) != 3 || ms[0][0] <= 0 {
		t.Fatalf("times %v", ms)
	}
}

// TestONNXDeterministic checks that the same net and weights give the same bytes.
func TestONNXDeterministic(t *testing.T) {
	backend := goBackend(t)
	net := allOpsNet()
	store := randomStore(t, backend, net, 2)
	a, err := ONNX(net, store, ONNXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ONNX(net, store, ONNXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a, b) {
		t.Fatal("two exports of the same network differ")
	}
}

// TestONNXErrors checks that bad inputs give errors naming the problem, not panics.
func TestONNXErrors(t *testing.T) {
	backend := goBackend(t)
	net := allOpsNet()
	store := randomStore(t, backend, net, 2)
	empty := model.NewStore()
	bad := *net
	bad.Layers = append([]nets.Layer(nil), net.Layers...)
	bad.Layers[2].Inputs = []string{"nope"}
	for _, tc := range []struct {
		name  string
		net   *nets.Net
		store *model.Store
		opt   ONNXOptions
	}{
		{"missing weights", net, empty, ONNXOptions{}},
		{"invalid net", &bad, store, ONNXOptions{}},
		{"size not a multiple", net, store, ONNXOptions{Height: 6, Width: 8}},
		{"negative batch", net, store, ONNXOptions{Batch: -1}},
		{"wrong scope", net, store, ONNXOptions{Scope: "student"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ONNX(tc.net, tc.store, tc.opt); err == nil {
				t.Fatal("no error")
			} else {
				t.Log(err)
			}
		})
	}
	if err := WriteONNX(filepath.Join(t.TempDir(), "no", "such", "dir", "m.onnx"), net, store, ONNXOptions{}); err == nil {
		t.Error("writing into a missing directory: no error")
	}
}

func nhwcToNCHW(x []float32, dims []int) []float32 {
	n, h, w, c := dims[0], dims[1], dims[2], dims[3]
	out := make([]float32, len(x))
	for b := range n {
		for y := range h {
			for i := range w {
				for k := range c {
					out[((b*c+k)*h+y)*w+i] = x[((b*h+y)*w+i)*c+k]
				}
			}
		}
	}
	return out
}

func nchwToNHWC(x []float32, dims []int) []float32 {
	n, c, h, w := dims[0], dims[1], dims[2], dims[3]
	out := make([]float32, len(x))
	for b := range n {
		for k := range c {
			for y := range h {
				for i := range w {
					out[((b*h+y)*w+i)*c+k] = x[((b*c+k)*h+y)*w+i]
				}
			}
		}
	}
	return out
}
