package movenet

import (
	"context"
	"errors"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// TestCropGridGap measures why, in `finetune-video --codec movenet`, the imported Lightning
// decoded by the codec agrees less with Thunder's labels than Lightning through this package
// does, on the same held-out people: the two paths crop the same square around each box (1.25 ×
// its longer side) on different sampling grids — the training pipeline's affine warp (crop pixel
// u at the box's edge + u·side/192) and TensorFlow's crop_and_resize as CropAndResize does it
// (pixel u at y_min·(H−1) + u·(y_max−y_min)·(H−1)/191, mapped back as (y_min + u/192·(y_max−y_min))·H),
// the one Thunder's labels were made through. It checks that the codec path's confident keypoints
// sit where the two grids predict (mean offset within 0.1 px per axis), and that removing their
// mean offset brings the codec path's AP within 0.005 of this package's; it logs the APs under
// both instance-score rules.
//
// It needs the output of `scripts/posedistill finetune-video --codec movenet --steps 1 --out DIR`
// (Lightning as the student, the default) in $MOVENET_FINETUNE_DIR, and skips without it.
func TestCropGridGap(t *testing.T) {
	dir := os.Getenv("MOVENET_FINETUNE_DIR")
	if dir == "" {
		t.Skip("MOVENET_FINETUNE_DIR is not set (the --out of finetune-video --codec movenet)")
	}
	ctx := context.Background()
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")
	val, err := train.ReadSplit(ctx, dataDir, "val.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(val.Data.Images) == 0 || len(val.Data.Annotations) == 0 {
		t.Fatalf("%s: no held-out people", dataDir)
	}
	// This package's path: each box's square crop through CropAndResize, as finetune-video's
	// "MoveNet's own decoding" row does.
	e, err := Open(be, testkit.MoveNetCache(t), Lightning)
	if err != nil {
		t.Fatal(err)
	}
	files := map[int64]string{}
	for _, im := range val.Data.Images {
		files[im.ID] = im.FileName
	}
	imgW, imgH := float64(val.Data.Images[0].Width), float64(val.Data.Images[0].Height)
	var native []dataset.Result
	var regions []Region
	var img image.Image
	cur := int64(-1)
	s := e.InputSize()
	for _, a := range val.Data.Annotations {
		if a.ImageID != cur {
			if img, err = dataset.LoadImage(filepath.Join(dataDir, files[a.ImageID])); err != nil {
				t.Fatal(err)
			}
			cur = a.ImageID
		}
		side := 1.25 * max(a.BBox[2], a.BBox[3])
		cx, cy := a.BBox[0]+a.BBox[2]/2, a.BBox[1]+a.BBox[3]/2
		r := Region{YMin: (cy - side/2) / imgH, XMin: (cx - side/2) / imgW, YMax: (cy + side/2) / imgH, XMax: (cx + side/2) / imgW}
		out, err := e.Infer(ctx, CropAndResize(img, r, s, s), s, s)
		if err != nil {
			t.Fatal(err)
		}
		res := dataset.Result{ImageID: a.ImageID, CategoryID: 1}
		for k := range NumKeypoints {
			y, x := float64(out[3*k]), float64(out[3*k+1])
			res.Keypoints = append(res.Keypoints, (r.XMin+x*(r.XMax-r.XMin))*imgW, (r.YMin+y*(r.YMax-r.YMin))*imgH, float64(out[3*k+2]))
		}
		native = append(native, res)
		regions = append(regions, r)
	}
	// The codec's path: the imported run's crops (the training pipeline's, no augmentation)
	// decoded by codec.Codec.DecodeOffsets, as finetune-video's "as imported" row does.
	run, err := train.LoadTrained(filepath.Join(dir, "imported"))
	if err != nil {
		t.Fatal(err)
	}
	if run.Config.Name != string(Lightning) {
		t.Fatalf("%s: the imported run is %q, want %s", dir, run.Config.Name, Lightning)
	}
	pred, err := run.Predictor(be)
	if err != nil {
		t.Fatal(err)
	}
	defer pred.Finalize()
	sc, err := run.SampleConfig()
	if err != nil {
		t.Fatal(err)
	}
	sc.Augment = nil
	loader, err := topdown.NewLoader(topdown.LoaderConfig{Sample: sc, BatchSize: 8, Workers: 1, Epochs: 1}, val.Instances)
	if err != nil {
		t.Fatal(err)
	}
	it, err := loader.Start(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var viaCodec []dataset.Result
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p, err := pred.Predict(tensors.FromFlatDataAndDimensions(b.Images.Data, b.Images.Shape...))
		if err != nil {
			t.Fatal(err)
		}
		var heads [4][]float32
		for i, ht := range []*tensors.Tensor{p.Heatmaps, p.Offsets, p.Mask, p.Regression} {
			if ht == nil {
				t.Fatalf("the imported run has no head %d (heatmaps, offsets, centre, regression)", i)
			}
			heads[i], err = tensors.CopyFlatData[float32](ht)
			ht.FinalizeAll()
			if err != nil {
				t.Fatal(err)
			}
		}
		n := b.Len()
		part := func(v []float32, i int) []float32 { per := len(v) / n; return v[i*per : (i+1)*per] }
		for i := range n {
			preds, err := sc.Codec.DecodeOffsets(codec.OffsetHeads{Heatmaps: part(heads[0], i), Offsets: part(heads[1], i),
				Centre: part(heads[2], i), Regression: part(heads[3], i)}, NumKeypoints)
			if err != nil {
				t.Fatal(err)
			}
			viaCodec = append(viaCodec, dataset.Result{ImageID: b.ImageIDs[i], CategoryID: 1, Keypoints: topdown.ToImageKeypoints(preds, b.ToImage[i])})
		}
	}
	if len(viaCodec) != len(native) {
		t.Fatalf("%d people through the codec, %d through the estimator", len(viaCodec), len(native))
	}
	params, err := eval.COCOParamsFor(skeleton.COCO17())
	if err != nil {
		t.Fatal(err)
	}
	// Instance scores: the mean of all confidences (finetune-video's MoveNet row), or of those
	// above topdown.KeypointScoreThreshold (topdown.InstanceScore, its codec rows).
	scores := map[string]func(kps []float64) float64{
		"mean": func(kps []float64) float64 {
			var s float64
			for k := range NumKeypoints {
				s += kps[3*k+2] / NumKeypoints
			}
			return s
		},
		"thresholded": func(kps []float64) float64 {
			var s float64
			n := 0
			for k := range NumKeypoints {
				if v := kps[3*k+2]; v > topdown.KeypointScoreThreshold {
					s, n = s+v, n+1
				}
			}
			return s / float64(max(n, 1))
		},
	}
	ap := func(rs []dataset.Result, score string, dx, dy float64) float64 {
		out := make([]dataset.Result, len(rs))
		for i, r := range rs {
			kps := append([]float64{}, r.Keypoints...)
			for k := range NumKeypoints {
				kps[3*k] -= dx
				kps[3*k+1] -= dy
			}
			out[i] = dataset.Result{ImageID: r.ImageID, CategoryID: 1, Keypoints: kps, Score: scores[score](kps)}
		}
		rep, err := eval.EvaluateCOCO(ctx, val.Data, out, params)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Stats.AP
	}
	// Offsets of the codec path's keypoints from this package's, and the grids' prediction.
	var n, mx, my, ma, px, py float64
	for i := range viaCodec {
		if viaCodec[i].ImageID != native[i].ImageID {
			t.Fatalf("person %d: image %d through the codec, %d through the estimator", i, viaCodec[i].ImageID, native[i].ImageID)
		}
		r := regions[i]
		for k := range NumKeypoints {
			c, m := viaCodec[i].Keypoints[3*k:], native[i].Keypoints[3*k:]
			if m[2] < 0.3 {
				continue
			}
			mx, my, ma, n = mx+c[0]-m[0], my+c[1]-m[1], ma+math.Hypot(c[0]-m[0], c[1]-m[1]), n+1
			// Where crop pixel u samples the image, less where its keypoint maps back.
			ux := (m[0]/imgW - r.XMin) / (r.XMax - r.XMin) * float64(s)
			uy := (m[1]/imgH - r.YMin) / (r.YMax - r.YMin) * float64(s)
			px += r.XMin*(imgW-1) + ux*(r.XMax-r.XMin)*(imgW-1)/float64(s-1) - (r.XMin+ux/float64(s)*(r.XMax-r.XMin))*imgW
			py += r.YMin*(imgH-1) + uy*(r.YMax-r.YMin)*(imgH-1)/float64(s-1) - (r.YMin+uy/float64(s)*(r.YMax-r.YMin))*imgH
		}
	}
	if n == 0 {
		t.Fatal("no keypoint with confidence ≥ 0.3")
	}
	mx, my, ma, px, py = mx/n, my/n, ma/n, px/n, py/n
	t.Logf("%d people, %.0f confident keypoints: codec path − estimator mean (%.3f, %.3f) px, mean |Δ| %.3f px; the grids predict (%.3f, %.3f) px",
		len(native), n, mx, my, ma, px, py)
	for _, score := range []string{"mean", "thresholded"} {
		t.Logf("AP, %s instance scores: estimator %.3f, codec path %.3f, codec path less its mean offset %.3f",
			score, ap(native, score, 0, 0), ap(viaCodec, score, 0, 0), ap(viaCodec, score, mx, my))
	}
	if math.Abs(mx-px) > 0.1 || math.Abs(my-py) > 0.1 {
		t.Errorf("the codec path's mean offset (%.3f, %.3f) px is not the grids' (%.3f, %.3f)", mx, my, px, py)
	}
	if a, b := ap(native, "mean", 0, 0), ap(viaCodec, "mean", mx, my); math.Abs(a-b) > 0.005 {
		t.Errorf("without its mean offset the codec path's AP is %.3f, the estimator's %.3f", b, a)
	}
}
