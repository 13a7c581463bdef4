package blazepose

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/skeleton"
)

// TestPipelineOnPhoto detects the standing person of basketball1.png (x 30–170, y 80–480 in the
// 640×480 photo) and checks the landmarks land on the body in image pixels.
func TestPipelineOnPhoto(t *testing.T) {
	if testing.Short() {
		t.Skip("model inference skipped in -short mode")
	}
	cacheDir := filepath.Dir(filepath.Dir(liteModel(t)))
	f, err := os.Open("/usr/share/doc/opencv-doc/examples/data/basketball1.png")
	if err != nil {
		t.Skipf("test photo absent (Debian package opencv-doc): %v", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPipeline(be, cacheDir, modelstore.PoseLandmarkLite)
	if err != nil {
		t.Fatal(err)
	}
	people, err := p.Estimate(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if len(people) == 0 {
		t.Fatal("no person detected")
	}
	best := people[0]
	if best.Detection.Score < 0.5 || best.Pose.Score < 0.5 {
		t.Fatalf("scores: detection %.2f, pose %.2f", best.Detection.Score, best.Pose.Score)
	}
	lm := best.Landmarks
	const nose, lHip, rHip, lAnkle, rAnkle = 0, 23, 24, 27, 28
	checks := []struct {
		name           string
		i              int
		x0, x1, y0, y1 float64
	}{
		{"nose", nose, 40, 140, 80, 160},
		{"left hip", lHip, 30, 170, 230, 340},
		{"right hip", rHip, 30, 170, 230, 340},
		{"left ankle", lAnkle, 30, 180, 390, 480},
		{"right ankle", rAnkle, 30, 180, 390, 480},
	}
	for _, c := range checks {
		if m := lm[c.i]; m.X < c.x0 || m.X > c.x1 || m.Y < c.y0 || m.Y > c.y1 {
			t.Errorf("%s at (%.0f, %.0f), want x %.0f–%.0f, y %.0f–%.0f", c.name, m.X, m.Y, c.x0, c.x1, c.y0, c.y1)
		}
	}
	kp, err := best.Keypoints(skeleton.COCO17())
	if err != nil {
		t.Fatal(err)
	}
	if kp[0] != lm[nose].X || kp[1] != lm[nose].Y || kp[2] != lm[nose].Visibility {
		t.Errorf("COCO nose = %v, want landmark 0 in image pixels %+v", kp[:3], lm[nose])
	}
	if _, err := p.Estimate(context.Background(), image.NewGray(image.Rect(0, 0, 0, 0))); err == nil {
		t.Error("empty image: want error")
	}
}
