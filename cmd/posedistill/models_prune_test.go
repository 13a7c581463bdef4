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

// models prune writes a thinner network as a run that loads and trains like any other; bad
// flags are refused with the flag's name.
func TestModelsPruneWritesATrainableRun(t *testing.T) {
	data, run := exportTestRun(t)
	out := filepath.Join(t.TempDir(), "pruned")
	var stdout, stderr bytes.Buffer
	if err := runModels(context.Background(), []string{"prune", run, "--ratio", "0.5", "--multiple", "1", "--min-channels", "2", "--out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("models prune: %v\n%s", err, stderr.String())
	}
	orig, err := train.LoadTrained(run)
	if err != nil {
		t.Fatal(err)
	}
	pruned, err := train.LoadTrained(out)
	if err != nil {
		t.Fatal(err)
	}
	if p0, p1 := orig.Net.Params(), pruned.Net.Params(); p1 >= p0*3/4 {
		t.Errorf("pruned net has %d parameters, the original %d: want far fewer at ratio 0.5", p1, p0)
	}
	if pruned.Config.Model.File != filepath.Join(out, train.NetFile) && !strings.HasSuffix(pruned.Config.Model.File, filepath.Join("pruned", train.NetFile)) {
		t.Errorf("config model.file %q, want the run's net.json", pruned.Config.Model.File)
	}
	// Its hints tie every residual add to the original's channels it kept.
	set, err := hints.Read(filepath.Join(out, hints.File))
	if err != nil {
		t.Fatal(err)
	}
	shapes, err := pruned.Net.Shapes(32, 32)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range set.Hints {
		if h.Student != h.Teacher || len(h.Channels) != shapes[h.Student].C {
			t.Errorf("hint %s ← %s: %d channels for a %d-channel output", h.Student, h.Teacher, len(h.Channels), shapes[h.Student].C)
		}
	}
	if len(set.Hints) == 0 {
		t.Error("no hints for a pruned MobileNetV2 (it has residual adds)")
	}
	// It trains from its config and weights.
	cfg := pruned.Config
	cfg.Steps, cfg.CheckpointEvery, cfg.ValidateEvery = 2, 2, 0
	if _, err := train.Run(context.Background(), cfg, train.Options{DataDir: data, OutDir: filepath.Join(t.TempDir(), "ft"), Init: filepath.Join(out, train.BestFile), Backend: testkit.Backend(t), NoValidation: true}); err != nil {
		t.Fatalf("training the pruned run: %v", err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"prune", run, "--ratio", "1", "--out", t.TempDir()}, "--ratio"},
		{[]string{"prune", run, "--criterion", "random", "--out", t.TempDir()}, "--criterion"},
		{[]string{"prune", run, "--out", out}, "already holds a run"},
	} {
		if err := runModels(context.Background(), tc.args, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}
