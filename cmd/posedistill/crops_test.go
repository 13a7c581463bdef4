package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/dataset"
)

// TestCropsCommand writes a two-person dataset and checks the contact sheet's layout.
func TestCropsCommand(t *testing.T) {
	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 31)
	}
	if err := dataset.SaveImage(filepath.Join(dir, "a.png"), img); err != nil {
		t.Fatal(err)
	}
	kps := func(x0, y0 float64) []float64 {
		out := make([]float64, 0, 51)
		for j := range 17 {
			out = append(out, x0+float64(j%4)*10, y0+float64(j)*8, 2)
		}
		return out
	}
	d := &dataset.Dataset{
		Images:     []dataset.Image{{ID: 1, FileName: "a.png", Width: 320, Height: 240}},
		Categories: []dataset.Category{dataset.NewCOCO17Category()},
		Annotations: []dataset.Annotation{
			{ID: 1, ImageID: 1, CategoryID: 1, NumKeypoints: 17, Area: 5000, BBox: [4]float64{40, 20, 40, 136}, Keypoints: kps(40, 20)},
			{ID: 2, ImageID: 1, CategoryID: 1, NumKeypoints: 17, Area: 5000, BBox: [4]float64{200, 30, 40, 136}, Keypoints: kps(200, 30)},
			{ID: 3, ImageID: 1, CategoryID: 1, IsCrowd: 1, BBox: [4]float64{0, 0, 10, 10}, Keypoints: make([]float64, 51)},
		},
	}
	ann := filepath.Join(dir, "ann.json")
	if err := dataset.Write(ann, d); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "sheet.png")
	var stdout, stderr bytes.Buffer
	if err := runCrops(context.Background(), []string{"--data", ann, "--out", out, "--augment", "--input", "128x96"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "wrote 2 crops of 2 instances") {
		t.Errorf("stdout %q", stdout.String())
	}
	sheet, err := dataset.LoadImage(out)
	if err != nil {
		t.Fatal(err)
	}
	if b := sheet.Bounds(); b.Dx() != 2*96+3*4 || b.Dy() != 128+2*4 {
		t.Errorf("sheet %v, want 204×136", b)
	}
	if c := color.RGBAModel.Convert(sheet.At(1, 1)).(color.RGBA); c != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("gap colour %v", c)
	}
	for _, bad := range [][]string{{"--out", out}, {"--data", ann, "--out", out, "--codec", "x"}, {"--data", ann, "--out", out, "--input", "12"}} {
		if err := runCrops(context.Background(), bad, &stdout, &stderr); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
