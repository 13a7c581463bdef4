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

func TestParseProbe(t *testing.T) {
	for _, c := range []struct {
		in   string
		want videoInfo
		ok   bool
	}{
		{"768,576,10/1\n", videoInfo{768, 576, 10}, true},
		{"640,480,30000/1001", videoInfo{640, 480, 30000.0 / 1001}, true},
		{"320,240,25", videoInfo{320, 240, 25}, true},
		{"", videoInfo{}, false},
		{"640,480,0/0", videoInfo{}, false},
		{"0,480,25/1", videoInfo{}, false},
		{"a,b,c", videoInfo{}, false},
		{"99999,480,25/1", videoInfo{}, false},
		{"640,480,1e300/1e-300", videoInfo{}, false},
	} {
		got, err := parseProbe("v.mp4", c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("parseProbe(%q) = %+v, %v; want %+v, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestVideoUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"--in", "a.mp4"}, {"--in", "a", "--out", "b", "--model", "blazepose-tiny"}, {"--in", "a", "--out", "b", "--frames", "-1"}} {
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
		"--frames", "4", "--smooth", "--png-every", "3"}, &stdout, &stderr); err != nil {
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

// FuzzParseProbe checks that any ffprobe output either parses into a usable size and rate or
// fails cleanly.
func FuzzParseProbe(f *testing.F) {
	for _, s := range []string{"768,576,10/1\n", "640,480,30000/1001", "1,1,1", ",,", "5,5,1/0", "-3,4,25/1", "5,5,1e300/1e-300"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseProbe("v", s)
		if err == nil && (v.width <= 0 || v.height <= 0 || !(v.fps > 0) || v.fps > 1e300) {
			t.Fatalf("parseProbe(%q) = %+v without error", s, v)
		}
	})
}

// TestVideoNamedLikeAnOption: a video called "-report" (or "pipe:0") is read as a file by ffprobe
// and ffmpeg, not as an option or protocol (issue 16: ffprobe took "-report" as its option).
func TestVideoNamedLikeAnOption(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	if msg, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=32x24:r=5",
		"-frames:v", "3", "-pix_fmt", "yuv420p", "-f", "mp4", "file:-report").CombinedOutput(); err != nil {
		t.Fatalf("make test video: %v: %s", err, msg)
	}
	os.Rename("-report", "pipe:0")
	for _, name := range []string{"pipe:0"} {
		info, err := probeVideo(context.Background(), name)
		if err != nil || info.width != 32 || info.height != 24 {
			t.Fatalf("probe %q: %+v, %v", name, info, err)
		}
		dec, err := startDecoder(context.Background(), name, info, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for ; ; n++ {
			if _, err := dec.next(); err != nil {
				break
			}
		}
		if err := dec.close(); err != nil || n != 3 {
			t.Errorf("decode %q: %d frames, %v", name, n, err)
		}
	}
	os.Rename("pipe:0", "-report")
	if info, err := probeVideo(context.Background(), "-report"); err != nil || info.width != 32 {
		t.Errorf("probe -report: %+v, %v", info, err)
	}
	if logs, _ := filepath.Glob("ffprobe-*.log"); len(logs) > 0 {
		t.Errorf("ffprobe took -report as an option: %v", logs)
	}
}
