package train

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
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

// TestRunModelFn trains through a custom model function (heads doubled, as a stand-in for fake
// quantization): Run builds its training graph with it, so its first-step loss differs from the
// plain network's on the same batch.
func TestRunModelFn(t *testing.T) {
	ctx := context.Background()
	data, be := testData(t), testBackend(t)
	cfg := tinyConfig()
	cfg.Steps, cfg.CheckpointEvery = 1, 0
	net, err := cfg.Net()
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	doubled := func(scope *model.Scope, images *graph.Node) []*graph.Node {
		calls++
		outs := nets.ModelFn(net)(scope, images)
		for i, o := range outs {
			outs[i] = graph.MulScalar(o, 2)
		}
		return outs
	}
	plain, custom := t.TempDir(), t.TempDir()
	if _, err := Run(ctx, cfg, Options{DataDir: data, OutDir: plain, Backend: be, LogEvery: 1, NoValidation: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, cfg, Options{DataDir: data, OutDir: custom, Backend: be, ModelFn: doubled, LogEvery: 1, NoValidation: true}); err != nil {
		t.Fatal(err)
	}
	a, b := firstLoss(t, plain), firstLoss(t, custom)
	if calls == 0 || a == b {
		t.Errorf("model function built %d graphs; first-step loss %v with it, %v without", calls, b, a)
	}
}

// TestResumeRejectsOtherLoss resumes a run with another loss than the one it trained with (as
// "posedistill train --resume" on a distillation run would): the error names both.
func TestResumeRejectsOtherLoss(t *testing.T) {
	ctx := context.Background()
	data, be := testData(t), testBackend(t)
	cfg := tinyConfig()
	out := t.TempDir()
	loss := &Loss{Terms: []Term{HeatmapMSE("heatmap_gt", Constant(0.5)), HeatmapMSE("heatmap_again", Constant(0.5))}}
	if _, err := Run(ctx, cfg, Options{DataDir: data, OutDir: out, Backend: be, Loss: loss, StopAt: 2, NoValidation: true}); err != nil {
		t.Fatal(err)
	}
	_, err := Run(ctx, cfg, Options{DataDir: data, OutDir: out, Backend: be, Resume: true, NoValidation: true})
	if err == nil || !strings.Contains(err.Error(), "heatmap_again") {
		t.Fatalf("resume with the default loss: error %v, want one naming the run's terms", err)
	}
	if _, err := Run(ctx, cfg, Options{DataDir: data, OutDir: out, Backend: be, Loss: loss, Resume: true, NoValidation: true}); err != nil {
		t.Errorf("resume with the run's loss: %v", err)
	}
}
