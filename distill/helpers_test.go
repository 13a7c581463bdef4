package distill

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/synth"
	"github.com/posedistill/posedistill/train"
)

var (
	dataOnce sync.Once
	dataDir  string
	dataErr  error

	backendOnce sync.Once
	testBE      compute.Backend
	backendErr  error
)

// testData renders a tiny synthetic dataset (12 images of 64×64, 1–2 people) once per binary.
func testData(t *testing.T) string {
	t.Helper()
	dataOnce.Do(func() {
		dataDir, dataErr = os.MkdirTemp("", "posedistill-distill-test-")
		if dataErr != nil {
			return
		}
		r, err := synth.NewRenderer(synth.Options{Width: 64, Height: 64, MinPeople: 1, MaxPeople: 2})
		if err != nil {
			dataErr = err
			return
		}
		_, dataErr = synth.WriteDataset(context.Background(), r, synth.WriteOptions{
			Dir: dataDir, Seed: 5, Images: 12, ValFraction: 0.25, Format: "png", Workers: 1,
		})
	})
	if dataErr != nil {
		t.Fatalf("render test data: %v", dataErr)
	}
	return dataDir
}

// testBackend returns one go backend shared by the tests.
func testBackend(t *testing.T) compute.Backend {
	t.Helper()
	backendOnce.Do(func() { testBE, backendErr = backend.New("go") })
	if backendErr != nil {
		t.Fatal(backendErr)
	}
	return testBE
}

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
	net, err := cfg.Net()
	if err != nil {
		t.Fatal(err)
	}
	be := testBackend(t)
	if _, err := Train(context.Background(), RunOptions{Config: cfg, Net: net, DataDir: testData(t), OutDir: dir, Backend: be}); err != nil {
		t.Fatal(err)
	}
	teacher, err := LoadTeacher(dir, be)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(teacher.Close)
	return teacher
}
