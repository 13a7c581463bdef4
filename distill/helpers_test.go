package distill

import (
	"context"
	"os"
	"testing"

	"github.com/gomlx/compute"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// testData renders a tiny synthetic dataset (12 images of 64×64, 1–2 people) once per binary.
func testData(t *testing.T) string {
	return testkit.SynthData(t, testkit.Synth{Size: 64, MinPeople: 1, MaxPeople: 2, Images: 12, Seed: 5})
}

// testBackend returns one go backend shared by the tests.
func testBackend(t *testing.T) compute.Backend { return testkit.Backend(t) }

// tinyConfig is a run small enough for unit tests: a 32×32 input, no augmentation.
func tinyConfig(name string, width float64, head int) train.Config {
	c := train.DefaultConfig()
	c.Name = name
	c.Model = train.ModelConfig{Arch: "mobilenetv2", Width: width, HeadChannels: head}
	c.InputW, c.InputH, c.Sigma = 32, 32, 1
	c.BatchSize, c.Steps, c.WarmupSteps = 4, 8, 0
	c.LR, c.Schedule = 1e-2, "constant"
	c.Augment = train.AugmentConfig{}
	c.FlipTest = false
	return c
}

// trainTeacher trains cfg's network on the test data into dir with the GT loss and loads it as a
// teacher, closed when the test ends.
func trainTeacher(t *testing.T, cfg train.Config, dir string) *NetTeacher {
	t.Helper()
	be := testBackend(t)
	if _, err := Train(context.Background(), RunOptions{Config: cfg, DataDir: testData(t), OutDir: dir, Backend: be}); err != nil {
		t.Fatal(err)
	}
	teacher, err := LoadTeacher(dir, be)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(teacher.Close)
	return teacher
}

// distillStudent trains cfg from the one teacher of rec (opened as `teacher`, named "teacher")
// on the test data into dir and loads the student, closed when the test ends.
func distillStudent(t *testing.T, cfg train.Config, rec Recipe, teacher Teacher, dir string) *NetTeacher {
	t.Helper()
	be := testBackend(t)
	if _, err := Train(context.Background(), RunOptions{Config: cfg, Recipe: rec, DataDir: testData(t), OutDir: dir,
		Teachers: map[string]Teacher{"teacher": teacher}, Backend: be}); err != nil {
		t.Fatal(err)
	}
	s, err := LoadTeacher(dir, be)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// basketballPlayer returns a default configuration at inputW×inputH crops with its sample
// configuration, OpenCV's basketball1.png and the instance of its standing player; the test skips
// where opencv-doc is not installed.
func basketballPlayer(t *testing.T, inputW, inputH int) (train.Config, topdown.Config, *topdown.RGB, topdown.Instance) {
	t.Helper()
	const photo = "/usr/share/doc/opencv-doc/examples/data/basketball1.png"
	if _, err := os.Stat(photo); err != nil {
		t.Skip("opencv-doc photo not installed")
	}
	cfg := train.DefaultConfig()
	cfg.InputW, cfg.InputH = inputW, inputH
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
	return cfg, sc, rgb, inst
}
