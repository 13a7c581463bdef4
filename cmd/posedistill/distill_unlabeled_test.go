package main

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/pseudolabel"
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

	// --init starts another run from that checkpoint (as from a grafted trunk), on the same labels;
	// with --resume it is refused, since a resumed run continues from its own checkpoint.
	ckpt := filepath.Join(out, train.CheckpointFile)
	initArgs := []string{"distill-unlabeled", "--teacher", "blazepose-lite", "--senior", "blazepose-lite", "--images", video,
		"--data", filepath.Join(out, "data"), "--out", filepath.Join(t.TempDir(), "init"), "--frames", "4", "--stride", "8", "--holdout", "0.25",
		"--batch", "2", "--steps", "2", "--variant", "pseudo-gt", "--baseline", "", "--latency-runs", "2", "--init", ckpt}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), initArgs, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "2 steps") {
		t.Fatalf("--init: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), append(initArgs, "--resume"), &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "--init") {
		t.Errorf("--init with --resume: exit %d, stderr %q: want a refusal naming --init", code, stderr.String())
	}
}

// TestDistillUnlabeledPhotoDirectory gives distill-unlabeled nothing but a directory of three
// photos (OpenCV's): the last one by name is held out, a student is distilled for 2 steps (its
// default batch reduced to the few people there are) with an agreement measured after each, and the run directory holds the report, whose every
// picture exists and is a PNG.
func TestDistillUnlabeledPhotoDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("model inference skipped in -short mode")
	}
	const src = "/usr/share/doc/opencv-doc/examples/data/"
	dir := filepath.Join(t.TempDir(), "photos")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"basketball1.png", "basketball2.png", "messi5.jpg"} {
		if _, err := os.Stat(src + name); err != nil {
			t.Skipf("opencv-doc photos not installed: %v", err)
		}
		if err := os.Symlink(src+name, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
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
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"distill-unlabeled", "--teacher", "blazepose-lite", "--senior", "blazepose-lite",
		"--images", dir, "--out", out, "--steps", "2", "--validate-every", "1", "--latency-runs", "2"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "batch size 8 reduced to") {
		t.Errorf("stderr %q: want the default batch of 8 reduced to the few training people", stderr.String())
	}
	report := filepath.Join(out, pseudolabel.ReportFile)
	if !strings.Contains(stdout.String(), "report: "+report) {
		t.Errorf("stdout %q does not name the report", stdout.String())
	}
	val, err := train.ReadSplit(context.Background(), filepath.Join(out, "data"), "val.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range val.Data.Images {
		if !strings.Contains(im.FileName, "messi5") {
			t.Errorf("held out %s, want the directory's last photo (messi5) only", im.FileName)
		}
	}
	page, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	srcs := regexp.MustCompile(`<img src="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(srcs) < 4 {
		t.Fatalf("report has %d pictures, want the agreement curve, the loss curves, the strip and the overlays", len(srcs))
	}
	for _, m := range srcs {
		f, err := os.Open(filepath.Join(out, m[1]))
		if err != nil {
			t.Fatal(err)
		}
		_, err = png.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Errorf("report picture %s: %v", m[1], err)
		}
	}
	for _, want := range []string{"blazepose-lite", "faster than the senior", "distill-unlabeled"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report does not mention %q", want)
		}
	}

	// 3D from the same pseudo labels: a small MoVNect learns the senior's world landmarks.
	cfg := filepath.Join(t.TempDir(), "movnect.yaml")
	yaml := "name: movnect-3d\nmodel:\n  arch: movnect\n  width: 0.5\n  head_channels: 32\ninput_w: 48\ninput_h: 64\ncodec: msra\nsigma: 1.5\nflip_test: false\nworkers: 1\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	code = run(context.Background(), []string{"distill-unlabeled", "--teacher", "blazepose-lite", "--senior", "blazepose-lite",
		"--images", dir, "--data", filepath.Join(out, "data"), "--out", filepath.Join(t.TempDir(), "run3d"), "--config", cfg, "--3d", "--variant", "pseudo-gt",
		"--steps", "2", "--batch", "2", "--latency-runs", "2", "--baseline", ""}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("--3d: exit %d: %s", code, stderr.String())
	}
	m := regexp.MustCompile(`3D: MPJPE ([0-9.]+) mm`).FindStringSubmatch(stdout.String())
	if m == nil || m[1] == "0.0" || !strings.Contains(stderr.String(), "reusing the pseudo labels") {
		t.Errorf("--3d: stdout %q, stderr %q: want a positive MPJPE from the reused labels", stdout.String(), stderr.String())
	}
}
