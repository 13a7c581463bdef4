package distill

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// fixedBatch returns the first batch of plain val crops of the tiny dataset.
func fixedBatch(t *testing.T, cfg train.Config, dir string) *topdown.Batch {
	t.Helper()
	ctx := context.Background()
	sc, err := SampleConfig(cfg, false, false, false)
	if err != nil {
		t.Fatal(err)
	}
	split, err := train.ReadSplit(ctx, dir, "train.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := topdown.FirstBatch(ctx, topdown.LoaderConfig{Sample: sc, BatchSize: 4, Workers: 1, Epochs: 1}, split.Instances)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mse(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		d := float64(a[i] - b[i])
		s += d * d
	}
	return s / float64(len(a))
}

// TestTeacherTermPullsStudentToTeacher distills a tiny student from a tiny teacher and checks
// that the teacher term moves the student's heatmaps toward the teacher's: after the same steps
// from the same initialization, the student trained on the teacher term alone (α = 0) is closer
// to the teacher's heatmaps than the one trained on the GT alone (α = 1), and closer than at
// initialization.
func TestTeacherTermPullsStudentToTeacher(t *testing.T) {
	ctx := context.Background()
	dir := testData(t)
	tmp := t.TempDir()
	tcfg := tinyConfig("teacher", 0.5, 16)
	tcfg.Steps, tcfg.Seed = 30, 9
	teacher := trainTeacher(t, tcfg, filepath.Join(tmp, "teacher"))

	scfg := tinyConfig("student", 0.25, 8)
	b := fixedBatch(t, scfg, dir)
	h, w := b.Heatmaps.Shape[1], b.Heatmaps.Shape[2]
	want, err := teacher.Predict(ctx, b.Images, h, w)
	if err != nil {
		t.Fatal(err)
	}
	distance := func(alpha float64, steps int) float64 {
		cfg := scfg
		cfg.Steps = steps
		sdir := filepath.Join(tmp, fmt.Sprintf("student-%g-%d", alpha, steps))
		rec := Recipe{Teachers: []TeacherRef{{Name: "teacher", Run: filepath.Join(tmp, "teacher")}}, Alpha: alpha}
		s := distillStudent(t, cfg, rec, teacher, sdir)
		got, err := s.Predict(ctx, b.Images, h, w)
		if err != nil {
			t.Fatal(err)
		}
		return mse(got.Heatmaps, want.Heatmaps)
	}
	// 80 steps: batch norm's running statistics (momentum 0.1), which inference uses, have then
	// forgotten their initial values and follow the weights. After 40 steps the inference-mode
	// gap was within noise for some teacher seeds although the training-mode teacher term was
	// 3× lower; after 80 it is 2–3× for teacher seeds 9, 10 and 11.
	kd := distance(0, 80)
	gt := distance(1, 80)
	t.Logf("mean squared distance to the teacher's heatmaps after 80 steps: teacher term only %.3g, GT only %.3g", kd, gt)
	if !(kd < 0.9*gt) {
		t.Errorf("teacher term did not pull the student toward the teacher: teacher-only %.3g, GT-only %.3g", kd, gt)
	}
}
