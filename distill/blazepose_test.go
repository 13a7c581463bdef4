package distill

import (
	"context"
	"math"
	"os"
	"testing"
	"time"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// TestBlazePoseTeacherOnPhoto runs the BlazePose teacher on a student crop of the standing
// player of OpenCV's basketball1.png and checks the conversion: decoding the teacher heatmaps
// with the student's codec gives back the landmarks it rendered (within a heatmap pixel), enough
// joints are visible, and the mask covers the player's column more than the crop's edges.
func TestBlazePoseTeacherOnPhoto(t *testing.T) {
	const photo = "/usr/share/doc/opencv-doc/examples/data/basketball1.png"
	if _, err := os.Stat(photo); err != nil {
		t.Skip("opencv-doc photo not installed")
	}
	cache := testkit.BlazePoseCache(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := train.DefaultConfig()
	cfg.InputW, cfg.InputH = 64, 128
	sc, err := SampleConfig(cfg, false, false, false)
	if err != nil {
		t.Fatal(err)
	}
	img, err := dataset.LoadImage(photo)
	if err != nil {
		t.Fatal(err)
	}
	rgb, err := topdown.ToRGB(img)
	if err != nil {
		t.Fatal(err)
	}
	inst := topdown.Instance{Annotation: dataset.Annotation{ID: 1, ImageID: 1, BBox: [4]float64{30, 80, 140, 400}, Keypoints: make([]float64, 51)}}
	s, err := sc.Build(inst, rgb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	teacher, err := NewBlazePoseTeacher(testBackend(t), modelstore.BlazePosePath(cache, modelstore.PoseLandmarkLite), sc)
	if err != nil {
		t.Fatal(err)
	}
	kps, _, err := teacher.one(ctx, s.Image, cfg.InputH, cfg.InputW)
	if err != nil {
		t.Fatal(err)
	}
	c := sc.Codec
	out, err := teacher.Predict(ctx, topdown.Tensor{Shape: []int{1, cfg.InputH, cfg.InputW, 3}, Data: s.Image}, c.HeatH, c.HeatW)
	if err != nil {
		t.Fatal(err)
	}
	preds, err := c.Decode(out.Heatmaps, 17)
	if err != nil {
		t.Fatal(err)
	}
	visible := 0
	for j, kp := range kps {
		if kp.V == 0 {
			continue
		}
		visible++
		if d := math.Hypot(preds[j].X-kp.X, preds[j].Y-kp.Y); d > float64(cfg.InputW)/float64(c.HeatW) {
			t.Errorf("joint %d: decoded (%.1f, %.1f), rendered (%.1f, %.1f)", j, preds[j].X, preds[j].Y, kp.X, kp.Y)
		}
	}
	if visible < 8 {
		t.Errorf("only %d joints visible", visible)
	}
	centre, edge := 0.0, 0.0
	for y := range c.HeatH {
		centre += float64(out.Mask[y*c.HeatW+c.HeatW/2])
		edge += float64(out.Mask[y*c.HeatW]) + float64(out.Mask[y*c.HeatW+c.HeatW-1])
	}
	if !(centre > edge/2+1) {
		t.Errorf("mask: centre column %.2f, edge columns %.2f (mean of both)", centre, edge/2)
	}
	t.Logf("%d visible joints; mask column sums: centre %.1f, edges %.1f", visible, centre, edge/2)
}
