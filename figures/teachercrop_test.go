package figures

import (
	"image"
	_ "image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// TestTeacherCropFigure draws an augmented (rotated, flipped) student crop of the standing
// player of OpenCV's basketball1.png beside BlazePose's 256×256 crop of the same region of the
// original photo. The figure goes to a temporary directory, or to $POSEDISTILL_FIGURE_DIR
// when set (the README's picture).
func TestTeacherCropFigure(t *testing.T) {
	const photo = "/usr/share/doc/opencv-doc/examples/data/basketball1.png"
	if _, err := os.Stat(photo); err != nil {
		t.Skip("opencv-doc photo not installed")
	}
	img, err := dataset.LoadImage(photo)
	if err != nil {
		t.Fatal(err)
	}
	rgb, err := topdown.ToRGB(img)
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig()
	cfg.InputW, cfg.InputH = 64, 96
	sc, err := distill.SampleConfig(cfg, true, false, false)
	if err != nil {
		t.Fatal(err)
	}
	sc.Augment.Color = nil
	inst := topdown.Instance{Annotation: dataset.Annotation{ID: 1, ImageID: 1, BBox: [4]float64{30, 80, 140, 400}, Keypoints: make([]float64, 51)}}
	rng := rand.New(rand.NewPCG(3, 1))
	var s *topdown.Sample
	for range 100 {
		if s, err = sc.Build(inst, rgb, nil, rng); err != nil {
			t.Fatal(err)
		}
		if s.Flipped && s.Rotation > 20 {
			break
		}
	}
	raw := make([]float32, len(s.Image))
	for i, v := range s.Image {
		raw[i] = v*sc.Std[i%3] + sc.Mean[i%3]
	}
	dir := os.Getenv("POSEDISTILL_FIGURE_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "teacher_crop.png")
	v := distill.View{Image: rgb, ToImage: s.ToImage, CropW: cfg.InputW, CropH: cfg.InputH, Flipped: s.Flipped}
	if err := TeacherCropFigure(path, v, raw, 256, 256, 0.5); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfgImg, _, err := image.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfgImg.Height < 256 || cfgImg.Width < 256+171 {
		t.Errorf("figure %dx%d, want the 171×256 student crop beside the 256×256 teacher crop", cfgImg.Width, cfgImg.Height)
	}
	t.Logf("rotation %.1f° flipped %v: %s", s.Rotation, s.Flipped, path)
}
