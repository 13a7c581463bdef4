package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/graft/hints"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/train"
)

// models graft cuts a MoVNect 0.5 from the zoo's MoveNet teacher and writes a config and an
// --init checkpoint that train accepts; bad flags and teachers are refused by name.
func TestModelsGraftWritesATrainableStart(t *testing.T) {
	data, run := exportTestRun(t)
	teacher := filepath.Join("..", "..", "zoo", "teacher-movenet-lightning-128x96")
	out := filepath.Join(t.TempDir(), "graft")
	var stdout, stderr bytes.Buffer
	if err := runModels(context.Background(), []string{"graft", teacher, "--width", "0.5", "--head-channels", "64", "--out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("models graft: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "39 of 62 layers") {
		t.Errorf("stdout %q: want the 39 trunk layers of the 62 of MoVNect with skips grafted", stdout.String())
	}
	set, err := hints.Read(filepath.Join(out, hints.File))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Hints) != 5 || !filepath.IsAbs(set.Teacher) {
		t.Errorf("hints %+v: want MoVNect's five stage outputs and the teacher's absolute path", set)
	}
	cfg, err := train.LoadConfig(filepath.Join(out, train.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg.InputW, cfg.InputH = 32, 32
	cfg.BatchSize, cfg.Steps, cfg.CheckpointEvery, cfg.ValidateEvery = 2, 2, 2, 0
	if _, err := train.Run(context.Background(), cfg, train.Options{DataDir: data, OutDir: filepath.Join(t.TempDir(), "ft"), Init: filepath.Join(out, graftInitFile), Backend: testkit.Backend(t), NoValidation: true}); err != nil {
		t.Fatalf("training the grafted student: %v", err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"graft", teacher, "--width", "2", "--out", t.TempDir()}, "fewer than the student's"},
		{[]string{"graft", run, "--out", t.TempDir()}, "no MobileNetV2 layer of the teacher"},
		{[]string{"graft", teacher, "--width", "0", "--out", t.TempDir()}, "--width"},
		{[]string{"graft", teacher}, "--out is required"},
	} {
		if err := runModels(context.Background(), tc.args, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}
