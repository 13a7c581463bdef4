package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestVideoUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"--in", "a.mp4"}, {"--in", "a", "--out", "b", "--detect-every", "0"}, {"--in", "a", "--out", "b", "--min-score", "0"}, {"--in", "a", "--out", "b", "--frames", "-1"}} {
		var out, errb bytes.Buffer
		if err := runVideo(context.Background(), args, &out, &errb); !errors.Is(err, errUsage) {
			t.Errorf("%v: err = %v, want usage error", args, err)
		}
	}
}

func TestVideoWithoutFFmpeg(t *testing.T) {
	in := filepath.Join(t.TempDir(), "v.mp4")
	if err := os.WriteFile(in, []byte("not a video"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	var out, errb bytes.Buffer
	err := runVideo(context.Background(), []string{"--in", in, "--out", t.TempDir()}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "install ffmpeg") {
		t.Errorf("err = %v, want a clear 'install ffmpeg' error", err)
	}
}

// TestVideoOnStills makes a 4-frame video of basketball1.png and runs the command with
// smoothing: one person, detected then tracked under one id, timestamps at 10 frames/s, and an
// overlay video of 4 frames.
func TestVideoOnStills(t *testing.T) {
	needBlazePose(t, basketball1)
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "still.mp4")
	if msg, err := exec.Command("ffmpeg", "-v", "error", "-loop", "1", "-framerate", "10", "-i", basketball1,
		"-frames:v", "6", "-pix_fmt", "yuv420p", in).CombinedOutput(); err != nil {
		t.Fatalf("make test video: %v: %s", err, msg)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if err := runVideo(context.Background(), []string{"--model", "blazepose-lite", "--in", in, "--out", out,
		"--frames", "4", "--smooth", "--png-every", "3", "--max-people", "1", "--detector", "blazepose", "--detect-tiles", "none", "--quiet"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res []struct {
		ImageID   int64     `json:"image_id"`
		TrackID   int64     `json:"track_id"`
		Timestamp float64   `json:"timestamp"`
		Keypoints []float64 `json:"keypoints"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("%d results, want 4 (one person in 4 frames): %s", len(res), stdout.String())
	}
	for i, r := range res {
		if r.ImageID != int64(i+1) || r.TrackID != 1 || r.Timestamp < float64(i)/10-1e-9 || r.Timestamp > float64(i)/10+1e-9 {
			t.Errorf("result %d: image %d track %d time %v, want image %d track 1 time %v", i, r.ImageID, r.TrackID, r.Timestamp, i+1, float64(i)/10)
		}
	}
	for _, f := range []string{"overlay.mp4", "overlay_000001.png", "overlay_000004.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	n, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", filepath.Join(out, "overlay.mp4")).Output()
	if err != nil || strings.TrimSpace(string(n)) != "4" {
		t.Errorf("overlay video frames: %q, %v; want 4", n, err)
	}
}
