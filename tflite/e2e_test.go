package tflite

import (
	"context"
	"math"
	"reflect"
	"testing"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/modelstore"
)

// maxAbsDiff returns max |a−b| and max |b|.
func maxAbsDiff(a, b []float32) (diff, scale float64) {
	for i := range a {
		diff = math.Max(diff, math.Abs(float64(a[i])-float64(b[i])))
		scale = math.Max(scale, math.Abs(float64(b[i])))
	}
	return diff, scale
}

// TestAgainstTFLiteWASM runs the BlazePose models on a photo crop with the Go translation (go
// backend) and with TFLite's own kernels (WebAssembly build) and compares every output.
func TestAgainstTFLiteWASM(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end model comparison skipped in -short mode")
	}
	dir := wasmDir(t)
	tests := []struct {
		model string
		size  int
		// tol bounds max|go−tflite| / max(1, max|tflite|) per output: float32 sums in a
		// different order drift by ~1e-4 relative on the large segmentation logits.
		tol float64
	}{
		{modelstore.PoseLandmarkLite, 256, 5e-4},
		{modelstore.PoseLandmarkFull, 256, 5e-4},
		{modelstore.PoseDetection, 224, 5e-4},
	}
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			path := blazePoseFile(t, tc.model)
			input := personCrop(t, tc.size)
			m, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			net, err := NewNetwork(m)
			if err != nil {
				t.Fatal(err)
			}
			r, err := NewRunner(be, net)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Run(context.Background(), input)
			if err != nil {
				t.Fatal(err)
			}
			want := runWASM(t, dir, path, input, 1)
			if len(want.Values) != len(got) {
				t.Fatalf("%d outputs, TFLite has %d", len(got), len(want.Values))
			}
			for i, out := range net.Outputs() {
				if !reflect.DeepEqual(out.Shape, want.Outputs[i].Shape) || out.Name != want.Outputs[i].Name {
					t.Errorf("output %d: %s %v, TFLite says %s %v", i, out.Name, out.Shape, want.Outputs[i].Name, want.Outputs[i].Shape)
					continue
				}
				diff, scale := maxAbsDiff(got[i], want.Values[i])
				t.Logf("%s %v: max |go − tflite| = %.3g (max |tflite| = %.3g)", out.Name, out.Shape, diff, scale)
				if diff > tc.tol*math.Max(1, scale) {
					t.Errorf("%s: max abs difference %.3g exceeds %.3g", out.Name, diff, tc.tol*math.Max(1, scale))
				}
			}
		})
	}
}
