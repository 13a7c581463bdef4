package train

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/nets"
)

// TestRunOwnNetReloadsFromRunDir trains Options.Net, a network config.json cannot describe
// (MoVNect under a MobileNetV2 config): the run directory's net.json lets LoadModel reload it and
// a resume without Options.Net continue it bit for bit.
func TestRunOwnNetReloadsFromRunDir(t *testing.T) {
	ctx := context.Background()
	data, be := testData(t), testBackend(t)
	cfg := tinyConfig()
	cfg.Steps = 4
	net, err := nets.MoVNect(nets.MoVNectOptions{Width: 0.25, HeadChannels: 8})
	if err != nil {
		t.Fatal(err)
	}
	whole, split := t.TempDir(), t.TempDir()
	if _, err := Run(ctx, cfg, Options{DataDir: data, OutDir: whole, Backend: be, Net: net, NoValidation: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, cfg, Options{DataDir: data, OutDir: split, Backend: be, Net: net, StopAt: 2, NoValidation: true}); err != nil {
		t.Fatal(err)
	}
	saved, err := ReadRunConfig(split)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, saved, Options{DataDir: data, OutDir: split, Backend: be, Resume: true, NoValidation: true}); err != nil {
		t.Fatalf("resume from the run directory alone: %v", err)
	}
	if err := CompareCheckpoints(filepath.Join(whole, CheckpointFile), filepath.Join(split, CheckpointFile)); err != nil {
		t.Errorf("interrupt + resume: %v", err)
	}
	m, err := LoadModel(split, be)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Net.Name != net.Name || m.Net.Params() != net.Params() {
		t.Errorf("LoadModel: network %s (%d params), trained %s (%d params)", m.Net.Name, m.Net.Params(), net.Name, net.Params())
	}
}
