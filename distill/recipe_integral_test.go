package distill

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
)

// An integral student distilled from an integral teacher with the teacher's terms alone (α = 0)
// ends nearer the teacher's keypoints (the centres of mass of its maps) than the same student
// trained on the GT alone (α = 1): the integral recipe's teacher terms teach.
func TestIntegralTeacherTermsPullStudentToTeacher(t *testing.T) {
	ctx := context.Background()
	dir := testData(t)
	tmp := t.TempDir()
	tcfg := tinyConfig("teacher", 0.5, 16)
	tcfg.Codec, tcfg.DistWeight, tcfg.Steps, tcfg.Seed = "integral", 1, 30, 9
	teacher := trainTeacher(t, tcfg, filepath.Join(tmp, "teacher"))
	if !teacher.Integral {
		t.Fatal("a teacher trained with codec integral is not marked Integral")
	}

	scfg := tinyConfig("student", 0.25, 8)
	scfg.Codec, scfg.DistWeight = "integral", 1
	b := fixedBatch(t, scfg, dir)
	h, w, k := b.Heatmaps.Shape[1], b.Heatmaps.Shape[2], b.Heatmaps.Shape[3]
	want, err := teacher.Predict(ctx, b.Images, h, w)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range want.Heatmaps {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("integral teacher map value %v outside [0, 1]", v)
		}
	}
	n := b.Images.Shape[0]
	wantXY := centresOfMass(want.Heatmaps, n, h, w, k)
	distance := func(alpha float64) float64 {
		cfg := scfg
		cfg.Steps = 80
		sdir := filepath.Join(tmp, fmt.Sprintf("student-%g", alpha))
		rec := Recipe{Teachers: []TeacherRef{{Name: "teacher", Run: filepath.Join(tmp, "teacher")}}, Alpha: alpha}
		s := distillStudent(t, cfg, rec, teacher, sdir)
		got, err := s.Predict(ctx, b.Images, h, w)
		if err != nil {
			t.Fatal(err)
		}
		gotXY := centresOfMass(got.Heatmaps, n, h, w, k)
		var d float64
		for i := 0; i < len(gotXY); i += 2 {
			d += math.Hypot(gotXY[i]-wantXY[i], gotXY[i+1]-wantXY[i+1])
		}
		return d / float64(len(gotXY)/2)
	}
	kd, gt := distance(0), distance(1)
	t.Logf("mean distance to the teacher's keypoints (heatmap pixels) after 80 steps: teacher terms only %.3f, GT only %.3f", kd, gt)
	if !(kd < 0.9*gt) {
		t.Errorf("teacher terms did not pull the student toward the teacher: teacher-only %.3f, GT-only %.3f", kd, gt)
	}
}

// centresOfMass returns the x, y centre of mass (heatmap pixels) of each of n×k maps [n, h, w, k].
func centresOfMass(maps []float32, n, h, w, k int) []float64 {
	out := make([]float64, 0, 2*n*k)
	for s := range n {
		for j := range k {
			var m, x, y float64
			for py := range h {
				for px := range w {
					v := float64(maps[((s*h+py)*w+px)*k+j])
					m += v
					x += v * float64(px)
					y += v * float64(py)
				}
			}
			out = append(out, x/m, y/m)
		}
	}
	return out
}
