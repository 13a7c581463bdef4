package distill

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/topdown"
)

// TestBlazePoseTeacherOnPhoto runs the BlazePose teacher on a student crop of the standing
// player of OpenCV's basketball1.png and checks the conversion: decoding the teacher heatmaps
// with the student's codec gives back the landmarks it rendered (within a heatmap pixel), enough
// joints are visible, and the mask covers the player's column more than the crop's edges.
func TestBlazePoseTeacherOnPhoto(t *testing.T) {
	cfg, sc, rgb, inst := basketballPlayer(t, 64, 128)
	cache := testkit.BlazePoseCache(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
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

// TestBlazePoseTeacherLooksAtOriginal runs the BlazePose teacher (RegionTeacher.Look) on the
// standing player of basketball1.png through plain and augmented (rotated, scaled, flipped)
// views of the same box: since it always sees the original photo at 256×256, its landmarks in
// image pixels must agree across views (within 6% of the box height for joints visible in both),
// with joint labels swapped where the view is mirrored (rotations are kept to 10°: BlazePose
// expects upright people, MediaPipe turns its ROI to make them so; at 30° its hips moved 34 px);
// rendered for the student (Render), each
// visible joint's target peak lies where the record puts it.
func TestBlazePoseTeacherLooksAtOriginal(t *testing.T) {
	_, sc, rgb, inst := basketballPlayer(t, 64, 96)
	cache := testkit.BlazePoseCache(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	teacher, err := NewBlazePoseTeacher(testBackend(t), modelstore.BlazePosePath(cache, modelstore.PoseLandmarkLite), sc)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := PlainView(inst, rgb, sc)
	if err != nil {
		t.Fatal(err)
	}
	c := sc.Codec
	box := topdown.BoxFromXYWH(inst.Annotation.BBox, float64(c.InputW)/float64(c.InputH), sc.Padding)
	views := []View{plain}
	for _, aug := range []struct {
		rot, scale float64
		flip       bool
	}{{10, 1, false}, {0, 1.2, true}, {-10, 0.9, true}} {
		b := box
		b.W, b.H = b.W*aug.scale, b.H*aug.scale
		m := topdown.WarpMatrix(b, aug.rot, c.InputW, c.InputH, false)
		if aug.flip {
			m = m.Then(topdown.FlipX(c.InputW))
		}
		toImage, err := m.Inverse()
		if err != nil {
			t.Fatal(err)
		}
		views = append(views, View{Image: rgb, ToImage: toImage, CropW: c.InputW, CropH: c.InputH, Flipped: aug.flip})
	}
	recs, err := teacher.Look(ctx, views)
	if err != nil {
		t.Fatal(err)
	}
	fi := sc.Joints.FlipIndex()
	visible := 0
	for j, p := range recs[0].Keypoints {
		if p.V > 0 {
			visible++
		}
		for i, r := range recs[1:] {
			q := r.Keypoints[j]
			if r.Mirrored {
				q = r.Keypoints[fi[j]]
			}
			if p.V == 0 || q.V == 0 {
				continue
			}
			if d := math.Hypot(p.X-q.X, p.Y-q.Y); d > 0.06*400 {
				t.Errorf("view %d joint %d: at (%.0f, %.0f), plain view (%.0f, %.0f): %.0f px apart", i+1, j, q.X, q.Y, p.X, p.Y, d)
			}
		}
	}
	if visible < 8 {
		t.Errorf("only %d joints visible in the plain view", visible)
	}
	for i, r := range recs {
		if r.Mask == nil || r.MaskW != 64 {
			t.Fatalf("view %d: mask %dx%d", i, r.MaskW, r.MaskH)
		}
		tg, err := Render(r, views[i], c, 17, fi)
		if err != nil {
			t.Fatal(err)
		}
		preds, err := c.Decode(tg.Heatmaps, 17)
		if err != nil {
			t.Fatal(err)
		}
		toCrop, _ := views[i].ToImage.Inverse()
		for j, p := range r.Keypoints {
			x, y := toCrop.Apply(p.X, p.Y)
			hx, hy := c.InputToHeatmap(x, y)
			if p.V == 0 || hx < 1 || hy < 1 || hx > float64(c.HeatW-2) || hy > float64(c.HeatH-2) {
				continue
			}
			if d := math.Hypot(preds[j].X-x, preds[j].Y-y); d > 1.5*float64(c.InputW)/float64(c.HeatW) {
				t.Errorf("view %d joint %d: rendered peak (%.1f, %.1f), record at (%.1f, %.1f) in the crop", i, j, preds[j].X, preds[j].Y, x, y)
			}
		}
	}
}
