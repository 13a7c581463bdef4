package train

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/topdown"
)

// Trained is a trained run read from its directory: the configuration it saved (crop size,
// codec, normalisation), its network (net.json) and the network's weights from its best
// checkpoint, else its latest. It is the one way the tools load a run (predict, export, compress,
// teachers); a distillation run's recipe is beside it (distill.ReadRecipe).
type Trained struct {
	Dir    string
	Config Config
	Net    *nets.Net
	// Store holds only the network's variables (nets.Net.Variables): no optimizer state.
	Store *model.Store
	// Checkpoint is the checkpoint the weights come from, Info what it records.
	Checkpoint string
	Info       CheckpointInfo
}

// RunCheckpoint returns the checkpoint a run's weights are read from: best.ckpt when it exists,
// else checkpoint.ckpt.
func RunCheckpoint(runDir string) string {
	path := filepath.Join(runDir, BestFile)
	if _, err := os.Stat(path); err != nil {
		return filepath.Join(runDir, CheckpointFile)
	}
	return path
}

// LoadTrained reads a run directory (see Trained).
func LoadTrained(runDir string) (*Trained, error) {
	cfg, err := ReadRunConfig(runDir)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", runDir, err)
	}
	net, err := ReadRunNet(runDir, cfg)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", runDir, err)
	}
	path := RunCheckpoint(runDir)
	full := model.NewStore()
	info, err := LoadCheckpoint(path, full, net)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", runDir, err)
	}
	store, err := net.Variables(full)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Trained{Dir: runDir, Config: cfg, Net: net, Store: store, Checkpoint: path, Info: info}, nil
}

// SampleConfig returns the run's top-down configuration for inference (plain crops, its codec).
func (t *Trained) SampleConfig() (topdown.Config, error) { return t.Config.SampleConfig(false) }

// Predictor compiles the run's network with its weights on a backend.
func (t *Trained) Predictor(be compute.Backend) (*nets.Predictor, error) {
	return nets.NewPredictor(be, t.Store, t.Net)
}
