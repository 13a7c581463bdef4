package tflite

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/export/ortnode"
	"github.com/posedistill/posedistill/internal/peers"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/nets"
)

// importBlazePose imports the BlazePose landmark model at path: heatmaps are output 3, the
// segmentation output 2.
func importBlazePose(t testing.TB, path string) (*Network, *NetPart) {
	t.Helper()
	m, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	net, err := NewNetwork(m)
	if err != nil {
		t.Fatal(err)
	}
	part, err := net.ImportNet("blazepose", 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	return net, part
}

// TestImportNetBlazePose translates each BlazePose landmark model into a nets.Net and checks, on
// a crop of a real photo, that the network built by package nets from the description and the
// imported weights gives the model's five outputs as TFLite itself (XNNPACK, WebAssembly build)
// does.
func TestImportNetBlazePose(t *testing.T) {
	if testing.Short() {
		t.Skip("model comparison skipped in -short mode")
	}
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	dir := wasmDir(t)
	for _, model := range []string{modelstore.PoseLandmarkLite, modelstore.PoseLandmarkFull, modelstore.PoseLandmarkHeavy} {
		t.Run(model, func(t *testing.T) {
			path := blazePoseFile(t, model)
			net, part := importBlazePose(t, path)
			counts := map[nets.Op]int{}
			for _, l := range part.Net.Layers {
				counts[l.Op]++
			}
			t.Logf("%d layers %v, %d variables, %.2fM parameters", len(part.Net.Layers), counts, len(part.Weights), float64(part.Net.Params())/1e6)
			if part.Net.Joints != 39 || len(part.Net.Heads.Extra) != 3 {
				t.Fatalf("joints %d, extra heads %v: want 39 and the landmarks, flag and world landmarks", part.Net.Joints, part.Net.Heads.Extra)
			}
			store, err := part.NewStore()
			if err != nil {
				t.Fatal(err)
			}
			nr, err := NewNetRunner(be, part, store)
			if err != nil {
				t.Fatal(err)
			}
			input := personCrop(t, 256)
			got, err := nr.Run(context.Background(), input)
			if err != nil {
				t.Fatal(err)
			}
			compareWithTFLite(t, net, got, runWASM(t, dir, path, input, 1))
		})
	}
}

// importDetector imports BlazePose's person detector at path: its classifier scores at the
// finest level (28×28, 2 anchors per cell) stand as the heatmap head, the other levels and the
// regressors are extra heads.
func importDetector(t testing.TB, path string) (*Network, *NetPart) {
	t.Helper()
	m, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	net, err := NewNetwork(m)
	if err != nil {
		t.Fatal(err)
	}
	part, err := net.ImportNet("blazepose-detector", 3, -1)
	if err != nil {
		t.Fatal(err)
	}
	return net, part
}

// detectorInput is the photo crop of personCrop as the detector takes it, values in [−1, 1].
func detectorInput(t testing.TB) []float32 {
	in := personCrop(t, 224)
	for i, v := range in {
		in[i] = 2*v - 1
	}
	return in
}

// TestImportNetDetector translates BlazePose's person detector (its DEPTH_TO_SPACE feature
// pyramid and per-level outputs concatenated by the model) into a nets.Net and checks, on a real
// photo, that the network built by package nets gives the model's two outputs (regressors
// [1, 2254, 12], classifier logits [1, 2254, 1]) as TFLite itself (XNNPACK, WebAssembly build)
// does.
func TestImportNetDetector(t *testing.T) {
	if testing.Short() {
		t.Skip("model comparison skipped in -short mode")
	}
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	path := blazePoseFile(t, modelstore.PoseDetection)
	net, part := importDetector(t, path)
	counts := map[nets.Op]int{}
	for _, l := range part.Net.Layers {
		counts[l.Op]++
	}
	t.Logf("%d layers %v, %d variables, %.2fM parameters; outputs %v", len(part.Net.Layers), counts, len(part.Weights), float64(part.Net.Params())/1e6, part.Outputs)
	if len(part.Outputs) != 2 || len(part.Outputs[0]) != 3 || len(part.Outputs[1]) != 3 || part.Net.Joints != 2 || len(part.Net.Heads.Extra) != 5 {
		t.Fatalf("outputs %v, joints %d, extra heads %v: want three levels per output, 2 anchors at the finest", part.Outputs, part.Net.Joints, part.Net.Heads.Extra)
	}
	store, err := part.NewStore()
	if err != nil {
		t.Fatal(err)
	}
	nr, err := NewNetRunner(be, part, store)
	if err != nil {
		t.Fatal(err)
	}
	input := detectorInput(t)
	got, err := nr.Run(context.Background(), input)
	if err != nil {
		t.Fatal(err)
	}
	compareWithTFLite(t, net, got, runWASM(t, wasmDir(t), path, input, 1))
}

// maxAbsDiff returns max |a−b| and max |b|.
func maxAbsDiff(a, b []float32) (diff, scale float64) {
	for i := range a {
		diff = math.Max(diff, math.Abs(float64(a[i])-float64(b[i])))
		scale = math.Max(scale, math.Abs(float64(b[i])))
	}
	return diff, scale
}

// compareWithTFLite checks every output of the imported network (got, in the model's output
// order) against TFLite's own kernels (tfl): same names and shapes, values within 5e-4 relative
// (float32 sums in a different order drift by ~1e-4 relative on the large segmentation logits).
func compareWithTFLite(t *testing.T, net *Network, got [][]float32, tfl *peers.NodeResult) {
	t.Helper()
	if len(tfl.Values) != len(got) {
		t.Fatalf("%d outputs, TFLite has %d", len(got), len(tfl.Values))
	}
	for i, out := range net.Outputs() {
		if !reflect.DeepEqual(out.Shape, tfl.Outputs[i].Shape) || out.Name != tfl.Outputs[i].Name {
			t.Errorf("output %d: %s %v, TFLite says %s %v", i, out.Name, out.Shape, tfl.Outputs[i].Name, tfl.Outputs[i].Shape)
			continue
		}
		if len(got[i]) != len(tfl.Values[i]) {
			t.Fatalf("%s: %d values, TFLite has %d", out.Name, len(got[i]), len(tfl.Values[i]))
		}
		diff, scale := maxAbsDiff(got[i], tfl.Values[i])
		t.Logf("%s %v: max |nets − tflite| = %.3g (max %.3g)", out.Name, out.Shape, diff, scale)
		if diff > 5e-4*math.Max(1, scale) {
			t.Errorf("%s: nets differs from TFLite by %.3g", out.Name, diff)
		}
	}
}

// TestImportNetErrors checks that models the description cannot express are refused by name.
func TestImportNetErrors(t *testing.T) {
	lm := blazePoseFile(t, modelstore.PoseLandmarkLite)
	lmm, err := ReadFile(lm)
	if err != nil {
		t.Fatal(err)
	}
	lmNet, err := NewNetwork(lmm)
	if err != nil {
		t.Fatal(err)
	}
	for _, heads := range [][2]int{{5, 2}, {3, 3}, {-1, 2}} {
		if _, err := lmNet.ImportNet("x", heads[0], heads[1]); err == nil {
			t.Errorf("heads %v: no error", heads)
		}
	}
	// Any layer holding an output may be the heatmap head (the detector's is a reshaped score
	// map): the description's joints are its channels.
	part, err := lmNet.ImportNet("x", 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if part.Net.Joints != 195 {
		t.Errorf("landmarks (195 channels, 1×1) as the heatmap head: %d joints", part.Net.Joints)
	}
}

// TestImportNetONNX round-trips BlazePose lite, full, heavy and the person detector: import → nets.Net → ONNX
// export (package export) → ONNX Runtime, whose outputs must be the TFLite model's on a real
// photo, as TFLite itself (WebAssembly build) computes them: the landmark models' five (heatmaps, mask and the
// extra heads: landmarks, pose flag, world landmarks), and the detector's two, each the
// concatenation of three heads' flattened values (regressors: extra0–2; scores: heatmaps, extra3,
// extra4).
func TestImportNetONNX(t *testing.T) {
	ort, err := ortnode.Find()
	if err != nil {
		t.Skip(err)
	}
	tests := []struct {
		model string
		// heads lists, per model output, the ONNX outputs whose flat values it concatenates.
		heads [][]string
	}{
		{modelstore.PoseLandmarkLite, [][]string{{"extra0"}, {"extra1"}, {"mask"}, {"heatmaps"}, {"extra2"}}},
		{modelstore.PoseLandmarkFull, [][]string{{"extra0"}, {"extra1"}, {"mask"}, {"heatmaps"}, {"extra2"}}},
		{modelstore.PoseLandmarkHeavy, [][]string{{"extra0"}, {"extra1"}, {"mask"}, {"heatmaps"}, {"extra2"}}},
		{modelstore.PoseDetection, [][]string{{"extra0", "extra1", "extra2"}, {"heatmaps", "extra3", "extra4"}}},
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			path := blazePoseFile(t, tc.model)
			r, input := goNetRunner(t, path)
			part := r.part
			store, err := part.NewStore()
			if err != nil {
				t.Fatal(err)
			}
			size := part.Net.InputMultiple
			onnx, err := export.ONNX(part.Net, store, export.ONNXOptions{Height: size, Width: size})
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "model.onnx")
			if err := os.WriteFile(file, onnx, 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := ort.Run(context.Background(), file, input, []int{1, size, size, 3}, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := runWASM(t, wasmDir(t), path, input, 1).Values
			if len(want) != len(tc.heads) {
				t.Fatalf("TFLite gives %d outputs, want %d", len(want), len(tc.heads))
			}
			for i, names := range tc.heads {
				var got []float32
				for _, name := range names {
					v, ok := res.Outputs[name]
					if !ok {
						t.Fatalf("ONNX Runtime outputs %v, no %q", res.Dims, name)
					}
					got = append(got, v...)
				}
				if len(got) != len(want[i]) {
					t.Fatalf("%v: %d values, TFLite has %d", names, len(got), len(want[i]))
				}
				diff, scale := maxAbsDiff(got, want[i])
				t.Logf("%v: max |onnxruntime − tflite| %.3g (max %.3g)", names, diff, scale)
				if diff > 5e-4*math.Max(1, scale) {
					t.Errorf("%v: ONNX Runtime differs by %.3g", names, diff)
				}
			}
		})
	}
}
