package blazepose

import (
	"context"
	"image"
	"image/color"
	_ "image/png" // the test photo
	"math"
	"os"
	"testing"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
)

// liteModel returns the cached pose_landmark_lite.tflite, fetching it with npm the first time.
func liteModel(t *testing.T) string {
	t.Helper()
	cache := testkit.BlazePoseCache(t)
	return modelstore.BlazePosePath(cache, modelstore.PoseLandmarkLite)
}

// photoCrop returns a 256×256 RGB crop in [0, 1] of OpenCV's basketball1.png (Debian opencv-doc)
// with the standing left person (x 30–170, y 80–480) in the middle, nearest-neighbour sampled.
func photoCrop(t *testing.T) []float32 {
	t.Helper()
	const photo = "/usr/share/doc/opencv-doc/examples/data/basketball1.png"
	f, err := os.Open(photo)
	if err != nil {
		t.Skipf("test photo absent (Debian package opencv-doc): %v", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	const x0, y0, side = -110, 70, 420
	out := make([]float32, InputSize*InputSize*3)
	b := img.Bounds()
	for r := 0; r < InputSize; r++ {
		for c := 0; c < InputSize; c++ {
			x, y := x0+c*side/InputSize, y0+r*side/InputSize
			if x < b.Min.X || y < b.Min.Y || x >= b.Max.X || y >= b.Max.Y {
				continue
			}
			v := float32(color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y) / 255
			out[(r*InputSize+c)*3], out[(r*InputSize+c)*3+1], out[(r*InputSize+c)*3+2] = v, v, v
		}
	}
	return out
}

// TestLandmarkerOnPhoto checks the lite model finds the standing person with an upright skeleton.
func TestLandmarkerOnPhoto(t *testing.T) {
	if testing.Short() {
		t.Skip("model inference skipped in -short mode")
	}
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLandmarker(be, liteModel(t))
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.Run(context.Background(), photoCrop(t))
	if err != nil {
		t.Fatal(err)
	}
	if p.Score < 0.5 {
		t.Fatalf("pose score %.3f on a photo of a person", p.Score)
	}
	lm := p.Landmarks
	const nose, lShoulder, rShoulder, lHip, rHip, lKnee, lAnkle, rAnkle = 0, 11, 12, 23, 24, 25, 27, 28
	for _, chain := range [][]int{{nose, lShoulder, lHip, lKnee, lAnkle}, {nose, rShoulder, rHip, rAnkle}} {
		for i := 1; i < len(chain); i++ {
			if lm[chain[i-1]].Y >= lm[chain[i]].Y {
				t.Errorf("landmark %d (y %.1f) not above landmark %d (y %.1f)", chain[i-1], lm[chain[i-1]].Y, chain[i], lm[chain[i]].Y)
			}
		}
	}
	// The person fills the crop's middle: x 140–280 of 420 maps to about 85–171 px.
	for i, m := range lm[:NumLandmarks] {
		if m.Presence > 0.5 && (m.X < 40 || m.X > 216 || m.Y < 0 || m.Y > InputSize) {
			t.Errorf("landmark %d at (%.1f, %.1f) is outside the person", i, m.X, m.Y)
		}
	}
	if d := math.Hypot(lm[lShoulder].X-lm[rShoulder].X, lm[lShoulder].Y-lm[rShoulder].Y); d < 10 {
		t.Errorf("shoulders %.1f px apart", d)
	}
	// Heatmap channel j peaks at landmark j (4 crop pixels per cell): the decoding's channel and
	// scale conventions agree with the model's own regression.
	for j, m := range lm {
		if m.Visibility < 0.9 {
			continue
		}
		best, at := float32(math.Inf(-1)), 0
		for cell := 0; cell < HeatmapSize*HeatmapSize; cell++ {
			if v := p.Heatmaps[cell*numPoints+j]; v > best {
				best, at = v, cell
			}
		}
		hx, hy := float64(at%HeatmapSize)*4+2, float64(at/HeatmapSize)*4+2
		if d := math.Hypot(hx-m.X, hy-m.Y); d > 16 {
			t.Errorf("landmark %d at (%.0f, %.0f), its heatmap peaks at (%.0f, %.0f)", j, m.X, m.Y, hx, hy)
		}
	}
	blank, err := l.Run(context.Background(), make([]float32, InputSize*InputSize*3))
	if err != nil {
		t.Fatal(err)
	}
	if blank.Score > 0.1 {
		t.Errorf("pose score %.3f on a black crop", blank.Score)
	}
	if _, err := l.Run(context.Background(), make([]float32, 10)); err == nil {
		t.Error("short crop: want error")
	}
}
