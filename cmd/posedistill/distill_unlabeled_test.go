package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/train"
)

// TestDistillUnlabeledResume distills from BlazePose lite on four sampled frames of OpenCV's
// pedestrian video for 2 steps, then resumes the run to 4 steps with --resume: the resumed call
// reuses the pseudo labels (their files untouched) and the checkpoint ends at step 4.
func TestDistillUnlabeledResume(t *testing.T) {
	if testing.Short() {
		t.Skip("model inference skipped in -short mode")
	}
	const video = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
	if _, err := os.Stat(video); err != nil {
		t.Skipf("test video absent (Debian package opencv-doc): %v", err)
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	cache, err := modelstore.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := modelstore.FetchBlazePose(context.Background(), cache, ""); err != nil {
		if errors.Is(err, modelstore.ErrNPMUnavailable) {
			t.Skipf("BlazePose models unavailable: %v", err)
		}
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run")
	trainJSON := filepath.Join(out, "data", "train.json")
	args := []string{"distill-unlabeled", "--teacher", "blazepose-lite", "--senior", "blazepose-lite", "--images", video,
		"--out", out, "--frames", "4", "--stride", "8", "--holdout", "0.25", "--batch", "2"}
	var labelled os.FileInfo
	cases := []struct {
		name       string
		args       []string
		wantStdout string
		wantStderr string
	}{
		{"2 steps", []string{"--steps", "2"}, "2 steps", "sampled frames"},
		{"resumed to 4", []string{"--steps", "4", "--resume"}, "4 steps", "reusing the pseudo labels"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append(slices.Clone(args), c.args...), &stdout, &stderr)
			if code != 0 || !strings.Contains(stdout.String(), c.wantStdout) || !strings.Contains(stderr.String(), c.wantStderr) {
				t.Fatalf("exit %d, stdout %q (want %q), stderr %q (want %q)", code, stdout.String(), c.wantStdout, stderr.String(), c.wantStderr)
			}
			st, err := os.Stat(trainJSON)
			if err != nil {
				t.Fatal(err)
			}
			if labelled == nil {
				labelled = st
			} else if !st.ModTime().Equal(labelled.ModTime()) || st.Size() != labelled.Size() {
				t.Errorf("resume rewrote %s", trainJSON)
			}
		})
	}
	info, _, err := train.ReadCheckpoint(filepath.Join(out, train.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Step != 4 {
		t.Errorf("resumed checkpoint at step %d, want 4", info.Step)
	}
}
