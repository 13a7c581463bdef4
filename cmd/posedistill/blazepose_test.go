package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/modelstore"
)

func TestBlazePoseUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"--data", "a.json"}, {"--data", "a", "--images", "b", "--out", "c", "--model", "tiny"}} {
		var out, errb bytes.Buffer
		if err := runBlazePose(context.Background(), args, &out, &errb); !errors.Is(err, errUsage) {
			t.Errorf("%v: err = %v, want usage error", args, err)
		}
	}
}

// TestBlazePoseOnPhoto runs the command on a one-image COCO dataset (OpenCV's basketball1.png).
func TestBlazePoseOnPhoto(t *testing.T) {
	if testing.Short() {
		t.Skip("model inference skipped in -short mode")
	}
	const photo = "/usr/share/doc/opencv-doc/examples/data/basketball1.png"
	if _, err := os.Stat(photo); err != nil {
		t.Skipf("test photo absent (Debian package opencv-doc): %v", err)
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
	dir := t.TempDir()
	d := &dataset.Dataset{
		Images:     []dataset.Image{{ID: 7, FileName: "basketball1.png", Width: 640, Height: 480}},
		Categories: []dataset.Category{dataset.NewCOCO17Category()},
	}
	ann := filepath.Join(dir, "ann.json")
	if err := dataset.Write(ann, d); err != nil {
		t.Fatal(err)
	}
	res := filepath.Join(dir, "res.json")
	var out, errb bytes.Buffer
	err = runBlazePose(context.Background(), []string{"--data", ann, "--images", filepath.Dir(photo),
		"--out", res, "--model", "lite", "--cache", cache}, &out, &errb)
	if err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	if !strings.Contains(out.String(), "1 images") {
		t.Errorf("summary %q", out.String())
	}
	results, err := dataset.ReadResults(res)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("no person found")
	}
	r := results[0]
	if r.ImageID != 7 || r.CategoryID != d.Categories[0].ID || len(r.Keypoints) != 51 || r.Score < 0.5 {
		t.Fatalf("result %+v", r)
	}
	if x, y := r.Keypoints[0], r.Keypoints[1]; x < 40 || x > 140 || y < 80 || y > 160 {
		t.Errorf("nose at (%.0f, %.0f), want on the left person's head", x, y)
	}
}
