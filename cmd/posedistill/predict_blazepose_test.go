package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/internal/testkit"
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
}

const basketball1 = "/usr/share/doc/opencv-doc/examples/data/basketball1.png"

// TestPredictBlazePose runs predictBlazePose on OpenCV's basketball1.png (one standing person,
// x 30–170, y 80–480) and checks the results file and the overlay.
func TestPredictBlazePose(t *testing.T) {
	needBlazePose(t, basketball1)
	out := filepath.Join(t.TempDir(), "res.json")
	var stdout, stderr bytes.Buffer
	if err := predictBlazePose(context.Background(), "blazepose-lite", basketball1, out, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res []struct {
		dataset.Result
		BBox           [4]float64   `json:"bbox"`
		Landmarks      [][5]float64 `json:"landmarks"`
		WorldLandmarks [][3]float64 `json:"world_landmarks"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		t.Fatalf("%d people, want 1: %s", len(res), stdout.String())
	}
	r := res[0]
	if r.ImageID != 1 || r.CategoryID != 1 || len(r.Keypoints) != 51 || len(r.Landmarks) != 33 || len(r.WorldLandmarks) != 33 || r.Score < 0.5 {
		t.Errorf("record: image %d category %d, %d keypoint values, %d landmarks, %d world, score %.2f",
			r.ImageID, r.CategoryID, len(r.Keypoints), len(r.Landmarks), len(r.WorldLandmarks), r.Score)
	}
	if x, y := r.Keypoints[0], r.Keypoints[1]; x < 40 || x > 140 || y < 80 || y > 160 { // COCO nose
		t.Errorf("nose at (%.0f, %.0f), want on the standing person's head", x, y)
	}
	if bx := r.BBox; bx[0] < 10 || bx[0]+bx[2] > 200 || bx[1] < 60 || bx[1]+bx[3] > 500 {
		t.Errorf("bbox %v, want around x 30–170, y 80–480", bx)
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
	if on, off := changed(30, 80, 170, 480), changed(250, 0, 640, 480); on < 5000 || off > 0 {
		t.Errorf("overlay changed %d pixels on the person, %d right of it; want many and none", on, off)
	}
	if err := predictBlazePose(context.Background(), "blazepose-tiny", basketball1, out, &stdout, &stderr); err == nil {
		t.Error("unknown model: want error")
	}
	if err := predictBlazePose(context.Background(), "blazepose-lite", "/nonexistent.png", out, &stdout, &stderr); err == nil {
		t.Error("missing image: want error")
	}
}
