package movenet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/export/ortnode"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/topdown"
)

// TestImportNetONNXKeypoints round-trips Lightning and Thunder: imported with their offset and
// regression heads → nets.Net → ONNX (package export) → ONNX Runtime, whose four heads, decoded
// by the codec's MoveNet kind, give MoveNet's own graph's keypoints on a crop of a real photo.
// It skips where ONNX Runtime is absent.
func TestImportNetONNXKeypoints(t *testing.T) {
	ort, err := ortnode.Find()
	if err != nil {
		t.Skip(err)
	}
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	img := testkit.Photo(t, photo)
	b := img.Bounds()
	for _, m := range []Model{Lightning, Thunder} {
		file, _ := m.File()
		net, store, err := ImportNet(context.Background(), be, modelstore.MoveNetPath(testkit.MoveNetCache(t), file), m, true)
		if err != nil {
			t.Fatal(err)
		}
		size := m.InputSize()
		onnx, err := export.ONNX(net, store, export.ONNXOptions{})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), string(m)+".onnx")
		if err := os.WriteFile(path, onnx, 0o644); err != nil {
			t.Fatal(err)
		}
		raw := CropAndResize(img, InitCropRegion(b.Dy(), b.Dx()), size, size)
		x := make([]float32, len(raw))
		for i, v := range raw {
			x[i] = float32(v)
		}
		if err := topdown.Normalize(x, topdown.ImageNetMean(), topdown.ImageNetStd()); err != nil {
			t.Fatal(err)
		}
		res, err := ort.Run(context.Background(), path, x, []int{1, size, size, 3}, 0)
		if err != nil {
			t.Fatal(err)
		}
		var heads [4][]float32
		for i, name := range []string{"heatmaps", "mask", "offsets", "regression"} {
			v, ok := res.Outputs[name]
			if !ok {
				t.Fatalf("%s: ONNX Runtime outputs %v, no %q", m, res.Dims, name)
			}
			heads[i] = v
		}
		c, err := codec.New(codec.MoveNet, size, size, size/4, size/4, 2)
		if err != nil {
			t.Fatal(err)
		}
		preds, err := c.DecodeOffsets(codec.OffsetHeads{Heatmaps: heads[0], Centre: heads[1], Offsets: heads[2], Regression: heads[3]}, NumKeypoints)
		if err != nil {
			t.Fatal(err)
		}
		got := Output(c, preds)
		r, _ := graphRunner(t, m)
		want, err := r.Run(context.Background(), tensors.FromFlatDataAndDimensions(raw, 1, size, size, 3))
		if err != nil {
			t.Fatal(err)
		}
		d := maxDiff(got, want[0].Values)
		t.Logf("%s: keypoints through ONNX Runtime, max |Δ| %.2g of the graph's (y, x in 0–1, confidence)", m, d)
		if d > 1e-4 {
			t.Errorf("%s: ONNX Runtime's keypoints differ from MoveNet's graph by %.2g", m, d)
		}
	}
}

func maxDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = max(d, float64(a[i]-b[i]), float64(b[i]-a[i]))
	}
	return d
}

// TestImportNetONNXMultiPose round-trips MultiPose: imported with all six heads → nets.Net →
// ONNX (package export; height and width left symbolic) → ONNX Runtime, whose heads, decoded by
// DecodeMultiPose, give MultiPose's own graph's output on two real photos of different shapes.
// It skips where ONNX Runtime is absent.
func TestImportNetONNXMultiPose(t *testing.T) {
	ort, err := ortnode.Find()
	if err != nil {
		t.Skip(err)
	}
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	file, _ := MultiPose.File()
	net, store, err := ImportNet(context.Background(), be, modelstore.MoveNetPath(testkit.MoveNetCache(t), file), MultiPose, true)
	if err != nil {
		t.Fatal(err)
	}
	onnx, err := export.ONNX(net, store, export.ONNXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "multipose.onnx")
	if err := os.WriteFile(path, onnx, 0o644); err != nil {
		t.Fatal(err)
	}
	e := open(t, MultiPose)
	r, _ := graphRunner(t, MultiPose)
	for _, name := range []string{photo, basketball1} {
		f, err := e.multiPoseFrame(testkit.Photo(t, name))
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, len(f.in))
		for i, v := range f.in {
			x[i] = float32(v)
		}
		if err := topdown.Normalize(x, topdown.ImageNetMean(), topdown.ImageNetStd()); err != nil {
			t.Fatal(err)
		}
		res, err := ort.Run(context.Background(), path, x, []int{1, f.ph, f.pw, 3}, 0)
		if err != nil {
			t.Fatal(err)
		}
		var heads [6][]float32
		for i, out := range []string{"heatmaps", "mask", "regression", "offsets", "extra0", "extra1"} {
			v, ok := res.Outputs[out]
			if !ok {
				t.Fatalf("ONNX Runtime outputs %v, no %q", res.Dims, out)
			}
			heads[i] = v
		}
		got, err := DecodeMultiPose(MultiPoseHeads{Heatmaps: heads[0], Centre: heads[1], Regression: heads[2], Offsets: heads[3],
			BoxScale: heads[4], BoxOffset: heads[5]}, f.ph/4, f.pw/4)
		if err != nil {
			t.Fatal(err)
		}
		want, err := r.Run(context.Background(), tensors.FromFlatDataAndDimensions(f.in, 1, f.ph, f.pw, 3))
		if err != nil {
			t.Fatal(err)
		}
		label := fmt.Sprintf("%s (%d×%d) through ONNX Runtime", filepath.Base(name), f.ph, f.pw)
		dPos, dConf, dBox := compareMultiPose(t, label, got, want[0].Values, f.ph/4, f.pw/4, 1e-4)
		t.Logf("%s: max |Δ| of the graph's output: positions %.2g (0–1), confidences and scores %.2g, boxes %.2g", label, dPos, dConf, dBox)
	}
}
