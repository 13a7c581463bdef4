package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/dataset"
)

// TestSmoothCommand runs "posedistill smooth" on a noisy track of a slowly moving joint: the output
// must keep every detection and follow the truth, and --report and --demo must measure it.
func TestSmoothCommand(t *testing.T) {
	dir := t.TempDir()
	gt := &dataset.Dataset{Categories: []dataset.Category{{ID: 1, Name: "person"}}, Annotations: []dataset.Annotation{}}
	var results []dataset.Result
	for f := 0; f < 60; f++ {
		id := int64(100 + f)
		gt.Images = append(gt.Images, dataset.Image{ID: id, FileName: "f.png", Width: 64, Height: 64,
			SequenceID: 7, FrameIndex: f, Timestamp: float64(f) / 25})
		gt.Annotations = append(gt.Annotations, dataset.Annotation{ID: id, ImageID: id, CategoryID: 1, NumKeypoints: 1,
			Area: 100, BBox: [4]float64{25, 35, 10, 10}, Keypoints: []float64{30 + 0.1*float64(f), 40, 2}, TrackID: 3})
		// A slowly moving joint at (30 + 0.1 f, 40) with ±2 px alternating noise.
		n := 2 * float64(1-2*(f%2))
		results = append(results, dataset.Result{ImageID: id, CategoryID: 1, Keypoints: []float64{30 + 0.1*float64(f) + n, 40 - n, 0.9}, Score: 0.9, TrackID: 3})
	}
	gtPath, inPath, outPath := filepath.Join(dir, "gt.json"), filepath.Join(dir, "in.json"), filepath.Join(dir, "out.json")
	if err := dataset.Write(gtPath, gt); err != nil {
		t.Fatal(err)
	}
	if err := dataset.WriteResults(inPath, results); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"smooth", "--in", inPath, "--out", outPath, "--images", gtPath, "--mincutoff", "0.5", "--report"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "smoothed 60 detections in 1 tracks") {
		t.Errorf("stdout: %q", stdout.String())
	}
	got, err := dataset.ReadResults(outPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 60 {
		t.Fatalf("%d results, want 60", len(got))
	}
	last := got[59].Keypoints
	if math.Abs(last[0]-35.9) > 1 || math.Abs(last[1]-40) > 0.5 {
		t.Errorf("last smoothed point %v, want near (35.9, 40)", last[:2])
	}
	// Alternating ±2 px in x and y: second differences of 8 px per axis, 8√2 = 11.314.
	if !strings.Contains(stdout.String(), "| acceleration error (px/frame²) | 11.314 |") {
		t.Errorf("report: %q", stdout.String())
	}

	// The experiment on the file's own tracks.
	stdout.Reset()
	if code := run(context.Background(), []string{"smooth", "--demo", "--images", gtPath, "--noise", "1", "--seed", "2"}, &stdout, &stderr); code != 0 {
		t.Fatalf("--demo --images: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "1 joint trajectories, 60 joint-frames") {
		t.Errorf("--demo --images: %q", stdout.String())
	}

	bad := [][]string{
		{"smooth", "--in", inPath, "--out", outPath}, // no time source
		{"smooth", "--in", inPath, "--out", outPath, "--fps", "25", "--missing", "drop"},
		{"smooth", "--in", filepath.Join(dir, "none.json"), "--out", outPath, "--fps", "25"},
		{"smooth", "--in", inPath, "--out", outPath, "--fps", "25", "--mincutoff", "0"},
	}
	for _, args := range bad {
		if code := run(context.Background(), args, &stdout, &stderr); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
	if _, err := os.Stat(outPath); err != nil {
		t.Errorf("earlier output removed by failed runs: %v", err)
	}
}
