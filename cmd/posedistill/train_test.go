package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/train"
)

// tinyTrainConfig writes the config of exportTestRun's network with the given head width.
func tinyTrainConfig(t *testing.T, head string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny.yaml")
	yaml := "name: tiny\nmodel: {arch: mobilenetv2, width: 0.25, head_channels: " + head + "}\n" +
		"input_w: 32\ninput_h: 32\nsigma: 1\nbatch_size: 2\nsteps: 2\nwarmup_steps: 1\n" +
		"checkpoint_every: 0\nvalidate_every: 0\nflip_test: false\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tiny3DConfig writes the config of a MoVNect with location maps small enough for a test.
func tiny3DConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny3d.yaml")
	yaml := "name: tiny3d\nmodel: {arch: movnect, width: 0.25, head_channels: 16}\n" +
		"input_w: 32\ninput_h: 32\nsigma: 1\nbatch_size: 2\nsteps: 2\nwarmup_steps: 1\n" +
		"checkpoint_every: 0\nvalidate_every: 0\nflip_test: false\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTrainInitAndDistillResume fine-tunes the tiny run with "train --init" (and fails naming the
// variable for a network of another head width), and interrupts and resumes a "distill" run
// taught by it.
func TestTrainInitAndDistillResume(t *testing.T) {
	data, run0 := exportTestRun(t)
	ckpt := filepath.Join(run0, train.CheckpointFile)
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		code int
		want string // in stdout when code is 0, else in stderr
	}{
		{"init", []string{"train", "--config", tinyTrainConfig(t, "16"), "--data", data, "--out", filepath.Join(dir, "fine"), "--init", ckpt}, 0, "2 steps"},
		{"init other shape", []string{"train", "--config", tinyTrainConfig(t, "8"), "--data", data, "--out", filepath.Join(dir, "bad"), "--init", ckpt}, 1, "variable /head_0_pw/"},
		{"init and resume", []string{"train", "--data", data, "--out", filepath.Join(dir, "fine"), "--init", ckpt, "--resume"}, 1, "--init"},
		{"distill 2 steps", []string{"distill", "--config", tinyTrainConfig(t, "8"), "--data", data, "--out", filepath.Join(dir, "kd"), "--teacher", run0}, 0, "2 steps"},
		{"distill resume with a recipe flag", []string{"distill", "--data", data, "--out", filepath.Join(dir, "kd"), "--teacher", run0, "--resume"}, 1, "--teacher"},
		{"distill resumed to 4 from the run directory alone", []string{"distill", "--out", filepath.Join(dir, "kd"), "--steps", "4", "--resume"}, 0, "4 steps"},
		// 3D from the dataset's joints alone: no teacher needed.
		{"distill --3d without a teacher", []string{"distill", "--config", tiny3DConfig(t), "--data", data, "--out", filepath.Join(dir, "3d"), "--3d"}, 0, "2 steps"},
		{"a senior without a teacher", []string{"distill", "--config", tiny3DConfig(t), "--data", data, "--out", filepath.Join(dir, "3d-senior"), "--3d", "--senior", run0}, 1, "--senior needs a --teacher"},
		{"train with a mask head", []string{"train", "--config", tinyTrainConfig(t, "8"), "--data", data, "--out", filepath.Join(dir, "masked"), "--mask-weight", "0.1"}, 0, "2 steps"},
		// The student keeps the mask head of the checkpoint it starts from.
		{"distill from a student with a mask head", []string{"distill", "--config", tinyTrainConfig(t, "8"), "--data", data, "--out", filepath.Join(dir, "kd-masked"), "--teacher", run0, "--init", filepath.Join(dir, "masked", train.CheckpointFile), "--gt-mask-weight", "0.1"}, 0, "2 steps"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), c.args, &stdout, &stderr)
			out := stdout.String()
			if c.code != 0 {
				out = stderr.String()
			}
			if code != c.code || !strings.Contains(out, c.want) {
				t.Fatalf("exit %d (want %d), output %q (want %q); stderr %q", code, c.code, out, c.want, stderr.String())
			}
		})
	}
	info, _, err := train.ReadCheckpoint(filepath.Join(dir, "kd", train.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Step != 4 {
		t.Errorf("resumed distillation checkpoint at step %d, want 4", info.Step)
	}
	if rec, err := distill.ReadRecipe(filepath.Join(dir, "kd-masked")); err != nil || !rec.MaskHead || rec.GTMaskWeight != 0.1 {
		t.Errorf("recipe.json of the student with a mask head: %+v (%v), want its mask head trained on the GT masks at 0.1", rec, err)
	}
	// The flags became the run's recipe: the teacher, α and no senior.
	rec, err := distill.ReadRecipe(filepath.Join(dir, "kd"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Teachers) != 1 || rec.Teachers[0].Run != run0 || rec.Teachers[0].Name != distill.PrimaryName || rec.Alpha != 0.5 || rec.Mask {
		t.Errorf("recipe.json %+v: want the primary teacher %s with α 0.5", rec, run0)
	}
}
