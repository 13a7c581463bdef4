package train

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	backends "github.com/posedistill/posedistill/backend"

	"github.com/gomlx/compute"
	"github.com/posedistill/posedistill/synth"
)

var (
	dataOnce sync.Once
	dataDir  string
	dataErr  error
)

// testData renders a tiny synthetic dataset once per test binary: 8 images of 64×64 (6 train,
// 2 val).
func testData(t *testing.T) string {
	t.Helper()
	dataOnce.Do(func() {
		dir, err := os.MkdirTemp("", "posedistill-train-test-")
		if err != nil {
			dataErr = err
			return
		}
		dataDir = dir
		r, err := synth.NewRenderer(synth.Options{Width: 64, Height: 64, MinPeople: 1, MaxPeople: 1})
		if err != nil {
			dataErr = err
			return
		}
		_, dataErr = synth.WriteDataset(context.Background(), r, synth.WriteOptions{
			Dir: dir, Seed: 8, Images: 8, ValFraction: 0.25, Format: "png", Workers: 1,
		})
	})
	if dataErr != nil {
		t.Fatalf("render test data: %v", dataErr)
	}
	return dataDir
}

// tinyConfig is a network and run small enough for unit tests.
func tinyConfig() Config {
	c := DefaultConfig()
	c.Name = "tiny"
	c.Model = ModelConfig{Arch: "mobilenetv2", Width: 0.25, HeadChannels: 8}
	c.InputW, c.InputH, c.Sigma = 32, 32, 1
	c.BatchSize, c.Steps, c.WarmupSteps = 4, 6, 1
	c.CheckpointEvery, c.ValidateEvery = 3, 0
	c.LR = 1e-2
	c.Augment = AugmentConfig{FlipProb: 0.5}
	c.FlipTest = false
	return c
}

var (
	backendOnce sync.Once
	backend     compute.Backend
	backendErr  error
)

// testBackend returns one go backend shared by the tests.
func testBackend(t *testing.T) compute.Backend {
	t.Helper()
	backendOnce.Do(func() { backend, backendErr = backends.New("go") })
	if backendErr != nil {
		t.Fatal(backendErr)
	}
	return backend
}

// writeFile writes a test file and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
