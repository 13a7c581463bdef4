package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/compute"
	"github.com/posedistill/posedistill/internal/testkit"
)

// testData renders a tiny synthetic dataset once per test binary: 8 images of 64×64 (6 train,
// 2 val).
func testData(t *testing.T) string {
	return testkit.SynthData(t, testkit.Synth{Size: 64, MinPeople: 1, MaxPeople: 1, Images: 8, Seed: 8})
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

// testBackend returns one go backend shared by the tests.
func testBackend(t *testing.T) compute.Backend { return testkit.Backend(t) }

// writeFile writes a test file and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
