package tflite

import (
	"context"
	"math"
	"os"
	"path/filepath"
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
// imported weights gives the model's five outputs as the constant-graph translation and as
// TFLite itself (XNNPACK, WebAssembly build) do.
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
			r, err := NewRunner(be, net)
			if err != nil {
				t.Fatal(err)
			}
			graphOuts, err := r.Run(context.Background(), input)
			if err != nil {
				t.Fatal(err)
			}
			tfl := runWASM(t, dir, path, input, 1)
			for i, out := range net.Outputs() {
				for _, ref := range []struct {
					name string
					v    []float32
				}{{"graph", graphOuts[i]}, {"tflite", tfl.Values[i]}} {
					if len(got[i]) != len(ref.v) {
						t.Fatalf("%s: %d values, %s has %d", out.Name, len(got[i]), ref.name, len(ref.v))
					}
					diff, scale := maxAbsDiff(got[i], ref.v)
					t.Logf("%s %v: max |nets − %s| = %.3g (max %.3g)", out.Name, out.Shape, ref.name, diff, scale)
					// As TestAgainstTFLiteWASM: float32 sums in a different order drift by ~1e-4
					// relative on the large segmentation logits.
					if diff > 5e-4*math.Max(1, scale) {
						t.Errorf("%s: nets differs from %s by %.3g", out.Name, ref.name, diff)
					}
				}
			}
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
// [1, 2254, 12], classifier logits [1, 2254, 1]) as the constant-graph translation and TFLite
// itself (XNNPACK, WebAssembly build) do.
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
	r, err := NewRunner(be, net)
	if err != nil {
		t.Fatal(err)
	}
	graphOuts, err := r.Run(context.Background(), input)
	if err != nil {
		t.Fatal(err)
	}
	tfl := runWASM(t, wasmDir(t), path, input, 1)
	for i, out := range net.Outputs() {
		for _, ref := range []struct {
			name string
			v    []float32
		}{{"graph", graphOuts[i]}, {"tflite", tfl.Values[i]}} {
			if len(got[i]) != len(ref.v) {
				t.Fatalf("%s: %d values, %s has %d", out.Name, len(got[i]), ref.name, len(ref.v))
			}
			diff, scale := maxAbsDiff(got[i], ref.v)
			t.Logf("%s %v: max |nets − %s| = %.3g (max %.3g)", out.Name, out.Shape, ref.name, diff, scale)
			if diff > 5e-4*math.Max(1, scale) {
				t.Errorf("%s: nets differs from %s by %.3g", out.Name, ref.name, diff)
			}
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
	if _, err := lmNet.ImportNet("x", 0, 2); err == nil {
		t.Error("landmarks (195 channels, 1×1) as the heatmap head: no error")
	}
}

// BenchmarkImportedNet times BlazePose's person detector and each landmark model as the constant graph (Runner, the
// translation before the import) and as the imported description built by nets (NetRunner),
// alternating in rounds on the same photo crop; nets/graph is the median of the per-round ratios
// of the medians of 3 inferences (wall clock and process CPU time). Run with -benchtime=1x.
func BenchmarkImportedNet(b *testing.B) {
	const rounds, per = 5, 3
	be, err := backend.New("go")
	if err != nil {
		b.Fatal(err)
	}
	for _, model := range []string{modelstore.PoseDetection, modelstore.PoseLandmarkLite, modelstore.PoseLandmarkFull, modelstore.PoseLandmarkHeavy} {
		b.Run(model, func(b *testing.B) {
			path := blazePoseFile(b, model)
			var input []float32
			var net *Network
			var part *NetPart
			if model == modelstore.PoseDetection {
				input = detectorInput(b)
				net, part = importDetector(b, path)
			} else {
				input = personCrop(b, 256)
				net, part = importBlazePose(b, path)
			}
			store, err := part.NewStore()
			if err != nil {
				b.Fatal(err)
			}
			nr, err := NewNetRunner(be, part, store)
			if err != nil {
				b.Fatal(err)
			}
			gr, err := NewRunner(be, net)
			if err != nil {
				b.Fatal(err)
			}
			runs := map[string]func() error{
				"graph": func() error { _, err := gr.Run(context.Background(), input); return err },
				"nets":  func() error { _, err := nr.Run(context.Background(), input); return err },
			}
			timed := func(run func() error) (wall, cpu float64) { return peers.Timed(b, per, run) }
			timed(runs["graph"])
			timed(runs["nets"])
			for b.Loop() {
				var gMs, gCPU, nMs, nCPU, ratios, cpuRatios []float64
				for range rounds {
					gm, gc := timed(runs["graph"])
					nm, nc := timed(runs["nets"])
					gMs, gCPU, nMs, nCPU = append(gMs, gm), append(gCPU, gc), append(nMs, nm), append(nCPU, nc)
					ratios, cpuRatios = append(ratios, nm/gm), append(cpuRatios, nc/gc)
				}
				b.ReportMetric(peers.Median(gMs), "graph-ms")
				b.ReportMetric(peers.Median(gCPU), "graph-cpu-ms")
				b.ReportMetric(peers.Median(nMs), "nets-ms")
				b.ReportMetric(peers.Median(nCPU), "nets-cpu-ms")
				b.ReportMetric(peers.Median(ratios), "nets/graph")
				b.ReportMetric(peers.Median(cpuRatios), "nets/graph-cpu")
			}
		})
	}
}

// TestImportNetONNX round-trips BlazePose lite: import → nets.Net → ONNX export (package export)
// → ONNX Runtime, whose five outputs (heatmaps, mask and the extra heads: landmarks, pose flag,
// world landmarks) must be the TFLite model's on a real photo, as the constant graph computes
// them.
func TestImportNetONNX(t *testing.T) {
	ort, err := ortnode.Find()
	if err != nil {
		t.Skip(err)
	}
	path := blazePoseFile(t, modelstore.PoseLandmarkLite)
	net, part := importBlazePose(t, path)
	store, err := part.NewStore()
	if err != nil {
		t.Fatal(err)
	}
	onnx, err := export.ONNX(part.Net, store, export.ONNXOptions{Height: 256, Width: 256})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "blazepose-lite.onnx")
	if err := os.WriteFile(file, onnx, 0o644); err != nil {
		t.Fatal(err)
	}
	input := personCrop(t, 256)
	res, err := ort.Run(context.Background(), file, input, []int{1, 256, 256, 3}, 0)
	if err != nil {
		t.Fatal(err)
	}
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(be, net)
	if err != nil {
		t.Fatal(err)
	}
	want, err := r.Run(context.Background(), input)
	if err != nil {
		t.Fatal(err)
	}
	// Model outputs: landmarks, flag, mask, heatmaps, world landmarks.
	for i, name := range []string{"extra0", "extra1", "mask", "heatmaps", "extra2"} {
		got, ok := res.Outputs[name]
		if !ok {
			t.Fatalf("ONNX Runtime outputs %v, no %q", res.Dims, name)
		}
		diff, scale := maxAbsDiff(got, want[i])
		t.Logf("%s %v: max |onnxruntime − tflite graph| %.3g (max %.3g)", name, res.Dims[name], diff, scale)
		if len(got) != len(want[i]) || diff > 5e-4*math.Max(1, scale) {
			t.Errorf("%s: ONNX Runtime differs by %.3g", name, diff)
		}
	}
}
