package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/pose"
)

// needBlazePose skips the test in -short mode or when the models or the photo are unavailable.
func needBlazePose(t *testing.T, files ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("model inference skipped in -short mode")
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("test input absent: %v", err)
		}
	}
	testkit.BlazePoseCache(t)
	testkit.MoveNetCache(t) // the default people detector
}

const basketball1 = "/usr/share/doc/opencv-doc/examples/data/basketball1.png"

// TestPredictBlazePose runs "predict --model blazepose-lite" on OpenCV's basketball1.png (one
// player standing at x 30–170, y 80–480, a second cut by the right edge, x > 430) and checks the
// results file (both players, BlazePose's landmarks) and the overlay.
func TestPredictBlazePose(t *testing.T) {
	needBlazePose(t, basketball1)
	out := filepath.Join(t.TempDir(), "res.json")
	var stdout, stderr bytes.Buffer
	if err := runPredict(context.Background(), []string{"--model", "blazepose-lite", "--image", basketball1, "--out", out, "--detector", "blazepose", "--detect-tiles", "320", "--image-id", "785"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	res := readRecords(t, out)
	if len(res) != 2 {
		t.Fatalf("%d people, want 2: %s", len(res), stdout.String())
	}
	r := res[0]
	if r.ImageID != 785 || r.CategoryID != 1 || len(r.Keypoints) != 51 || len(r.Landmarks) != 33 || len(r.WorldLandmarks) != 33 || r.Score < 0.5 {
		t.Errorf("record: image %d category %d, %d keypoint values, %d landmarks, %d world, score %.2f",
			r.ImageID, r.CategoryID, len(r.Keypoints), len(r.Landmarks), len(r.WorldLandmarks), r.Score)
	}
	if x, y := r.Keypoints[0], r.Keypoints[1]; x < 40 || x > 140 || y < 80 || y > 160 { // COCO nose
		t.Errorf("nose at (%.0f, %.0f), want on the standing person's head", x, y)
	}
	if bx := r.BBox; bx[0] < 10 || bx[0]+bx[2] > 200 || bx[1] < 60 || bx[1]+bx[3] > 500 {
		t.Errorf("bbox %v, want around x 30–170, y 80–480", bx)
	}
	if bx := res[1].BBox; bx[0]+bx[2]/2 < 430 {
		t.Errorf("second person's bbox %v, want right of x 430", bx)
	}
	overlay, err := dataset.LoadImage(strings.TrimSuffix(out, ".json") + ".png")
	if err != nil {
		t.Fatal(err)
	}
	photo, err := dataset.LoadImage(basketball1)
	if err != nil {
		t.Fatal(err)
	}
	if overlay.Bounds() != photo.Bounds() {
		t.Fatalf("overlay %v, photo %v", overlay.Bounds(), photo.Bounds())
	}
	changed := func(x0, y0, x1, y1 int) int {
		n := 0
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				r0, g0, b0, _ := overlay.At(x, y).RGBA()
				r1, g1, b1, _ := photo.At(x, y).RGBA()
				if r0 != r1 || g0 != g1 || b0 != b1 {
					n++
				}
			}
		}
		return n
	}
	if on, off := changed(30, 80, 170, 480), changed(230, 0, 400, 480); on < 5000 || off > 0 {
		t.Errorf("overlay changed %d pixels on the person, %d on the wall between the players; want many and none", on, off)
	}
	// --boxes skips detection; entries of other images are skipped.
	boxes := filepath.Join(t.TempDir(), "boxes.json")
	if err := os.WriteFile(boxes, []byte(`[{"image_id": 785, "bbox": [30, 80, 140, 400]}, {"image_id": 9, "bbox": [400, 0, 240, 480]}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runPredict(context.Background(), []string{"--model", "blazepose-lite", "--image", basketball1, "--out", out, "--boxes", boxes, "--image-id", "785"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if res := readRecords(t, out); len(res) != 1 || res[0].ImageID != 785 || math.Abs(res[0].Keypoints[0]-r.Keypoints[0]) > 15 {
		t.Errorf("with --boxes: %d people", len(res))
	}
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"unknown model", []string{"--model", "blazepose-tiny", "--image", basketball1, "--out", out}},
		{"missing image", []string{"--model", "blazepose-lite", "--image", "/nonexistent.png", "--out", out}},
		{"boxes of no entry for the image", []string{"--model", "blazepose-lite", "--image", basketball1, "--out", out, "--boxes", boxes, "--image-id", "3"}},
	} {
		if err := runPredict(context.Background(), tt.args, &stdout, &stderr); err == nil || errors.Is(err, errUsage) {
			t.Errorf("%s: err = %v, want a clear error", tt.name, err)
		}
	}
}

// readRecords reads a results file of predict or video.
func readRecords(t *testing.T, path string) []pose.Record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var res []pose.Record
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestPredictUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"--model", "m", "--image", "i.png"},
		{"--model", "m", "--image", "i.png", "--out", "o.json", "--detector", "blazepose", "--min-score", "1.5"},
		{"--model", "m", "--image", "i.png", "--out", "o.json", "--max-people", "0"},
		{"--model", "m", "--image", "i.png", "--out", "o.json", "--detector", "blazepose", "--min-score-beside", "1"},
		{"--model", "m", "--image", "i.png", "--out", "o.json", "--detector", "blazepose", "--min-score-beside", "-0.1"},
		{"--model", "m", "--image", "i.png", "--out", "o.json", "--detector", "blazepose", "--detect-tiles", "10"},
		{"--model", "m", "--image", "i.png", "--out", "o.json", "--multipose-size", "100"},
		{"--model", "m", "--image", "i.png", "--out", "o.json", "--detector", "yolo"},
		{"--model", "m", "--image", "i.png", "--out", "o.json", "--min-multipose-score", "0"},
		{"--model", "m", "--image", "i.png", "--out", "o.json", "--detect-tiles", "320"},                         // BlazePose's detector is not the default
		{"--model", "m", "--image", "i.png", "--out", "o.json", "--detector", "multipose", "--min-score", "0.6"}, // nor run by multipose
		{"--model", "movenet-multipose", "--image", "i.png", "--out", "o.json", "--detector", "both"},
	} {
		var stdout, stderr bytes.Buffer
		if err := runPredict(context.Background(), args, &stdout, &stderr); !errors.Is(err, errUsage) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}
