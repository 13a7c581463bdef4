package distill

import (
	"context"
	"math"
	"testing"

	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/movenet"
	"github.com/posedistill/posedistill/topdown"
)

// TestMoveNetTeacherOnPhoto runs the MoveNet Lightning teacher on a student crop of the standing
// player of OpenCV's basketball1.png: decoding its heatmaps with the student's codec gives back
// the keypoints it rendered (within a heatmap pixel), with MoveNet's confidence as the peak, and
// the nose lands on the player's head.
func TestMoveNetTeacherOnPhoto(t *testing.T) {
	cfg, sc, rgb, inst := basketballPlayer(t, 64, 128)
	cache := testkit.MoveNetCache(t)
	ctx := context.Background()
	s, err := sc.Build(inst, rgb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMoveNetTeacher(testBackend(t), "x.json", movenet.MultiPose, sc); err == nil {
		t.Fatal("MultiPose teacher: want error")
	}
	teacher, err := NewMoveNetTeacher(testBackend(t), modelstore.MoveNetPath(cache, modelstore.MoveNetLightning), movenet.Lightning, sc)
	if err != nil {
		t.Fatal(err)
	}
	kps, conf, err := teacher.one(ctx, s.Image, cfg.InputH, cfg.InputW)
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
		if math.Abs(preds[j].Score-conf[j]) > 0.15 {
			t.Errorf("joint %d: peak %.2f, MoveNet's confidence %.2f", j, preds[j].Score, conf[j])
		}
	}
	if visible < 10 {
		t.Errorf("only %d joints visible", visible)
	}
	// The crop maps x 30–170 → 0–64 (scaled to keep the aspect), the head is near the top centre.
	if n := kps[0]; n.V == 0 || n.X < 10 || n.X > 54 || n.Y > 40 {
		t.Errorf("nose at (%.1f, %.1f) V %v, want near the top centre of the crop", n.X, n.Y, n.V)
	}
	t.Logf("%d visible joints; nose (%.1f, %.1f) confidence %.2f", visible, kps[0].X, kps[0].Y, conf[0])

	// Look: MoveNet's own square crop of the original photo, plain and mirrored; the keypoints
	// come back in image pixels, the same joints within 6% of the box height once the mirrored
	// view's labels are swapped back, the nose on the head.
	plain, err := PlainView(inst, rgb, sc)
	if err != nil {
		t.Fatal(err)
	}
	toCrop, err := plain.ToImage.Inverse()
	if err != nil {
		t.Fatal(err)
	}
	mirrored := plain
	mirrored.ToImage, err = toCrop.Then(topdown.FlipX(c.InputW)).Inverse()
	if err != nil {
		t.Fatal(err)
	}
	mirrored.Flipped = true
	recs, err := teacher.Look(ctx, []View{plain, mirrored})
	if err != nil {
		t.Fatal(err)
	}
	if n := recs[0].Keypoints[0]; n.V == 0 || n.X < 30 || n.X > 170 || n.Y < 60 || n.Y > 180 {
		t.Errorf("Look: nose at (%.0f, %.0f) V %v in the photo, want on the player's head", n.X, n.Y, n.V)
	}
	fi := sc.Joints.FlipIndex()
	for j, p := range recs[0].Keypoints {
		q := recs[1].Keypoints[fi[j]]
		if p.V > 0 && q.V > 0 && math.Hypot(p.X-q.X, p.Y-q.Y) > 0.06*400 {
			t.Errorf("Look joint %d: plain (%.0f, %.0f), mirrored view (%.0f, %.0f)", j, p.X, p.Y, q.X, q.Y)
		}
	}
}
