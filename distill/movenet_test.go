package distill

import (
	"context"
	"math"
	"testing"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/movenet"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// TestMoveNetTeacherOnPhoto runs the MoveNet Lightning and MultiPose teachers on a student crop
// of the standing player of OpenCV's basketball1.png: decoding its heatmaps with the student's
// codec gives back the keypoints it rendered (within a heatmap pixel), with MoveNet's confidence
// as the peak, and the nose lands on the player's head; MultiPose's person (the one the crop is
// centred on, of the people it finds) has Lightning's confident joints within 6 % of the crop's
// height.
func TestMoveNetTeacherOnPhoto(t *testing.T) {
	cfg, sc, rgb, inst := basketballPlayer(t, 64, 128)
	cache := testkit.MoveNetCache(t)
	ctx := context.Background()
	s, err := sc.Build(inst, rgb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMoveNetTeacher(testBackend(t), "x.json", movenet.Model("movenet-nope"), sc); err == nil {
		t.Fatal("an unknown MoveNet model: want an error")
	}
	var lightning []codec.Keypoint
	for _, tc := range []struct {
		model movenet.Model
		file  string
	}{{movenet.Lightning, modelstore.MoveNetLightning}, {movenet.MultiPose, modelstore.MoveNetMultiPose}} {
		t.Run(string(tc.model), func(t *testing.T) {
			kps := teacherOnPhoto(t, ctx, modelstore.MoveNetPath(cache, tc.file), tc.model, cfg, sc, s.Image, rgb, inst)
			if tc.model == movenet.Lightning {
				lightning = kps
				return
			}
			for j, kp := range kps {
				if l := lightning[j]; l.V > 0 && kp.V > 0 {
					if d := math.Hypot(kp.X-l.X, kp.Y-l.Y); d > 0.06*float64(cfg.InputH) {
						t.Errorf("joint %d: MultiPose (%.1f, %.1f), Lightning (%.1f, %.1f)", j, kp.X, kp.Y, l.X, l.Y)
					}
				}
			}
		})
	}
}

// teacherOnPhoto checks MoveNet model m as a teacher on the student crop img of the basketball
// player inst (of the photo rgb) and returns its keypoints in crop pixels.
func teacherOnPhoto(t *testing.T, ctx context.Context, path string, m movenet.Model, cfg train.Config, sc topdown.Config, img []float32, rgb *topdown.RGB, inst topdown.Instance) []codec.Keypoint {
	teacher, err := NewMoveNetTeacher(testBackend(t), path, m, sc)
	if err != nil {
		t.Fatal(err)
	}
	kps, conf, err := teacher.one(ctx, img, cfg.InputH, cfg.InputW)
	if err != nil {
		t.Fatal(err)
	}
	c := sc.Codec
	out, err := teacher.Predict(ctx, topdown.Tensor{Shape: []int{1, cfg.InputH, cfg.InputW, 3}, Data: img}, c.HeatH, c.HeatW)
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
	t.Logf("%s: %d visible joints; nose (%.1f, %.1f) confidence %.2f", m, visible, kps[0].X, kps[0].Y, conf[0])

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
	return kps
}

// TestCentrePerson checks which of MultiPose's people the teacher takes: the one whose box is
// centred nearest the crop's centre among those whose pose score reaches 0.25, else the
// best-scored one; output that is not whole rows is an error.
func TestCentrePerson(t *testing.T) {
	// person returns one output row whose keypoints all read id, with its box and score.
	person := func(id, y0, x0, y1, x1, score float32) []float32 {
		r := make([]float32, movenet.MultiPoseRow)
		for k := range 3 * movenet.NumKeypoints {
			r[k] = id
		}
		copy(r[3*movenet.NumKeypoints:], []float32{y0, x0, y1, x1, score})
		return r
	}
	rows := func(rs ...[]float32) []float32 {
		var out []float32
		for _, r := range rs {
			out = append(out, r...)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		raw  []float32
		want float32 // the id of the person taken; -1: an error
	}{
		{"centred beats better-scored", rows(person(1, 0, 0.5, 0.6, 1, 0.9), person(2, 0.1, 0.2, 0.9, 0.8, 0.5)), 2},
		{"below the score, not taken", rows(person(1, 0.1, 0.2, 0.9, 0.8, 0.2), person(2, 0, 0.6, 0.5, 1, 0.3)), 2},
		{"none scored enough: the best", rows(person(1, 0.1, 0.2, 0.9, 0.8, 0.1), person(2, 0, 0.6, 0.5, 1, 0.2), person(3, 0, 0, 0, 0, 0)), 2},
		{"one person", person(4, 0.2, 0.3, 0.7, 0.6, 0.8), 4},
		{"a partial row", rows(person(1, 0, 0, 1, 1, 0.9), []float32{1, 2, 3}), -1},
		{"nothing", nil, -1},
	} {
		got, err := centrePerson(tc.raw)
		if tc.want < 0 {
			if err == nil {
				t.Errorf("%s: want an error", tc.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if len(got) != 3*movenet.NumKeypoints || got[0] != tc.want || got[len(got)-1] != tc.want {
			t.Errorf("%s: took person %v (%d values), want %v", tc.name, got[0], len(got), tc.want)
		}
	}
}
