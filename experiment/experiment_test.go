package experiment

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/distill"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/train"
)

func TestLoadAblationConfig(t *testing.T) {
	e, err := LoadExperiment(filepath.Join("..", "configs", "odkd_ablation.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Seeds) < 3 || len(e.Variants) != len(distill.VariantNames()) {
		t.Errorf("ablation: %d seeds, variants %v", len(e.Seeds), e.Variants)
	}
	if e.PrimarySteps <= 0 || e.PrimarySteps >= e.StudentConfig().Steps {
		t.Errorf("primary steps %d outside the student's %d", e.PrimarySteps, e.StudentConfig().Steps)
	}
	steps, sw := e.StudentConfig().Steps, e.PrimarySteps
	e.Scale(0.1)
	wantSteps := int(float64(steps) * 0.1)
	if s := e.StudentConfig().Steps; s != wantSteps || e.PrimarySteps != sw*wantSteps/steps {
		t.Errorf("scaled: %d steps (want %d), switch at %d (want %d)", s, wantSteps, e.PrimarySteps, sw*wantSteps/steps)
	}
}

// TestZooAblationTakesTheStudentsNetwork loads the zoo ablation: its student configuration names
// MoVNect 0.5 with the integral codec, and the variants must continue the pretrained zoo student it
// names with that student's network, crop and codec, or its checkpoint would not fit.
func TestZooAblationTakesTheStudentsNetwork(t *testing.T) {
	e, err := LoadExperiment(filepath.Join("..", "configs", "odkd_ablation_zoo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if e.PretrainRun == "" {
		t.Fatal("the zoo ablation names no pretrained student")
	}
	run, err := train.ReadRunConfig(e.resolve(e.PretrainRun))
	if err != nil {
		t.Fatal(err)
	}
	got := e.StudentConfig()
	if got.Model != run.Model || got.Codec != run.Codec || got.InputW != run.InputW || got.InputH != run.InputH {
		t.Errorf("student %+v %s %dx%d, want the zoo student's %+v %s %dx%d", got.Model, got.Codec, got.InputW, got.InputH, run.Model, run.Codec, run.InputW, run.InputH)
	}
	if got.Steps != 300 || got.LR != 5e-5 {
		t.Errorf("the schedule is not the configuration's: %d steps, lr %v", got.Steps, got.LR)
	}
}

func TestLoadExperimentErrors(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"odkd_student.yaml", "odkd_primary.yaml", "odkd_senior.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "configs", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := "name: x\ndata: {images: 10, val_fraction: 0.2, width: 64, height: 64, min_people: 1, max_people: 1, seed: 1}\n" +
		"student: odkd_student.yaml\nprimary: odkd_primary.yaml\nsenior: odkd_senior.yaml\n"
	cases := []struct {
		name, body, want string
	}{
		{"unknown variant", base + "seeds: [1]\nvariants: [magic]\nprimary_steps: 10\n", "unknown variant"},
		{"no seeds", base + "variants: [gt]\nprimary_steps: 10\n", "no seeds"},
		{"switch after the end", base + "seeds: [1]\nvariants: [odkd]\nprimary_steps: 5000\n", "primary_steps"},
		{"bad alpha", base + "seeds: [1]\nvariants: [gt]\nprimary_steps: 10\nalpha: 2\n", "alpha"},
		{"bad threshold", base + "seeds: [1]\nvariants: [gt]\nprimary_steps: 10\nbinarize: 0\n", "threshold"},
		{"unknown key", base + "seeds: [1]\nvariants: [gt]\nprimary_steps: 10\ntemperature: 3\n", "temperature"},
		{"two 3D teachers", base + "seeds: [1]\nvariants: [gt]\nprimary_steps: 10\nteacher_3d: odkd_primary.yaml\nteacher_3d_run: somewhere\nstudent_3d: odkd_student.yaml\n", "give one"},
		{"3D student without teacher", base + "seeds: [1]\nvariants: [gt]\nprimary_steps: 10\nstudent_3d: odkd_student.yaml\n", "3D teacher"},
		{"missing student", strings.Replace(base, "student: odkd_student.yaml\n", "", 1) + "seeds: [1]\nvariants: [gt]\nprimary_steps: 10\n", "required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "e.yaml")
			if err := os.WriteFile(p, []byte(c.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadExperiment(p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

func TestAggregate(t *testing.T) {
	runs := []Run{
		{Variant: "a", Result: distill.Result{Val: valAP(0.2)}, Latency: 3},
		{Variant: "b", Result: distill.Result{Val: valAP(0.5)}, Latency: 1},
		{Variant: "a", Result: distill.Result{Val: valAP(0.4)}, Latency: 5},
	}
	rows := Aggregate(runs)
	if len(rows) != 2 || rows[0].Variant != "a" || rows[0].Seeds != 2 {
		t.Fatalf("rows %+v", rows)
	}
	if d := rows[0].AP.Mean - 0.3; d > 1e-12 || d < -1e-12 {
		t.Errorf("mean %v", rows[0].AP.Mean)
	}
	if d := rows[0].AP.Std - 0.1414213562; d > 1e-9 || d < -1e-9 {
		t.Errorf("std %v", rows[0].AP.Std)
	}
	if rows[0].Latency != 4 || rows[1].AP.Std != 0 {
		t.Errorf("latency %v, single-seed std %v", rows[0].Latency, rows[1].AP.Std)
	}
}

func valAP(ap float64) eval.COCOStats { return eval.COCOStats{AP: ap} }

// TestValPCK checks ValScores' PCK@0.1 of saved val predictions against hand-counted joints: one person
// with a 200×50 box (threshold 20 px), two of its three labelled joints within 20 px.
func TestValPCK(t *testing.T) {
	dir := t.TempDir()
	kp := make([]float64, 51)
	gt := &dataset.Dataset{
		Images:     []dataset.Image{{ID: 1, FileName: "a.png", Width: 200, Height: 200}},
		Categories: []dataset.Category{{ID: 1, Name: "person", Keypoints: skeleton.COCO17().Joints}},
	}
	pred := make([]float64, 51)
	for j, xy := range [][2]float64{{10, 10}, {50, 50}, {90, 90}} {
		kp[3*j], kp[3*j+1], kp[3*j+2] = xy[0], xy[1], 2
		pred[3*j], pred[3*j+1], pred[3*j+2] = xy[0]+[]float64{5, 19, 21}[j], xy[1], 1
	}
	gt.Annotations = []dataset.Annotation{{ID: 1, ImageID: 1, CategoryID: 1, BBox: [4]float64{0, 0, 200, 50}, Area: 5000, NumKeypoints: 3, Keypoints: kp}}
	run := filepath.Join(dir, "run")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := dataset.WriteResults(filepath.Join(run, train.ValResultsFile), []dataset.Result{{ImageID: 1, CategoryID: 1, Keypoints: pred, Score: 1}}); err != nil {
		t.Fatal(err)
	}
	sc, err := ValScores(gt, run)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sc.PCK, 2.0/3; math.Abs(got-want) > 1e-12 {
		t.Errorf("PCK %v, want %v", got, want)
	}
	if _, err := ValScores(gt, filepath.Join(dir, "missing")); err == nil {
		t.Error("missing run: no error")
	}
}

// TestSeniorCacheKeyFollowsMaskWeight: changing the ablation's mask_weight trains a new senior
// teacher instead of reusing the one trained with the old weight (the stale-teacher bug).
func TestSeniorCacheKeyFollowsMaskWeight(t *testing.T) {
	e, err := LoadExperiment(filepath.Join("..", "configs", "odkd_ablation.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	dir := func(w float64) string {
		e.MaskWeight = w
		d, err := distill.TeacherDir(e.teacherSpec(distill.SeniorName), cache)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if a, b := dir(0.1), dir(5); a == b {
		t.Errorf("mask weights 0.1 and 5: one senior cache entry %s", a)
	}
	p1, _ := distill.TeacherDir(e.teacherSpec(distill.PrimaryName), cache)
	e.MaskWeight = 0.1
	if p2, _ := distill.TeacherDir(e.teacherSpec(distill.PrimaryName), cache); p1 != p2 {
		t.Error("the primary teacher's cache entry depends on the senior's mask weight")
	}
}
