package main

import (
	"bytes"
	"context"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/dataset"
)

// TestSynthCommand renders a few tiny images and sequence frames and reads every file back.
func TestSynthCommand(t *testing.T) {
	dir := t.TempDir()
	args := []string{"synth", "--out", dir, "--images", "5", "--size", "80x64", "--people", "1-2",
		"--seed", "4", "--val-fraction", "0.4", "--sequences", "2", "--frames", "3", "--fps", "10", "--sheet", "6"}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	tests := []struct {
		file      string
		images    int
		sequences bool
	}{{"train.json", 3, false}, {"val.json", 2, false}, {"sequences.json", 6, true}}
	ids := map[int64]bool{}
	for _, tc := range tests {
		d, err := dataset.Read(context.Background(), filepath.Join(dir, tc.file), dataset.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Images) != tc.images {
			t.Errorf("%s: %d images, want %d", tc.file, len(d.Images), tc.images)
		}
		if len(d.Categories) != 1 || len(d.Categories[0].Keypoints) != 17 {
			t.Errorf("%s: categories %+v", tc.file, d.Categories)
		}
		if err := d.CheckImages(context.Background(), dir); err != nil {
			t.Errorf("%s: %v", tc.file, err)
		}
		for _, im := range d.Images {
			if ids[im.ID] {
				t.Errorf("image id %d repeated across files", im.ID)
			}
			ids[im.ID] = true
			if im.Camera == nil || im.Camera.Fx <= 0 {
				t.Errorf("%s: image %d lacks intrinsics", tc.file, im.ID)
			}
			if tc.sequences != (im.SequenceID > 0) {
				t.Errorf("%s: image %d sequence id %d", tc.file, im.ID, im.SequenceID)
			}
			f, err := os.Open(filepath.Join(dir, im.FileName))
			if err != nil {
				t.Fatal(err)
			}
			cfg, format, err := image.DecodeConfig(f)
			f.Close()
			if err != nil || format != "jpeg" || cfg.Width != 80 || cfg.Height != 64 {
				t.Errorf("%s: %v %s %dx%d", im.FileName, err, format, cfg.Width, cfg.Height)
			}
		}
		for _, a := range d.Annotations {
			if a.Segmentation == nil || a.Segmentation.RLE == nil || !a.Segmentation.RLE.Compressed ||
				float64(a.Segmentation.RLE.Area()) != a.Area {
				t.Errorf("%s: annotation %d mask is not a compressed RLE of its area", tc.file, a.ID)
			}
			if len(a.Joints3D) != 66 {
				t.Errorf("%s: annotation %d has %d 3D values", tc.file, a.ID, len(a.Joints3D))
			}
			if tc.sequences && a.TrackID == 0 {
				t.Errorf("%s: annotation %d has no track id", tc.file, a.ID)
			}
		}
	}
	f, err := os.Open(filepath.Join(dir, "contact_sheet.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, format, err := image.DecodeConfig(f); err != nil || format != "png" {
		t.Errorf("contact sheet: %v %s", err, format)
	}
	if !strings.Contains(stdout.String(), "train.json: 3 images") {
		t.Errorf("stdout: %s", stdout.String())
	}
}

// TestSynthCommandDeterministic renders the same set with 1 and 3 workers: identical files.
func TestSynthCommandDeterministic(t *testing.T) {
	var dirs []string
	for _, w := range []string{"1", "3"} {
		dir := t.TempDir()
		args := []string{"synth", "--out", dir, "--images", "4", "--size", "48x48", "--workers", w, "--format", "png", "--sheet", "0"}
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		dirs = append(dirs, dir)
	}
	for _, name := range []string{"train.json", "val.json", "images/000001.png", "images/000004.png"} {
		a, err := os.ReadFile(filepath.Join(dirs[0], name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dirs[1], name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between 1 and 3 workers", name)
		}
	}
}

func TestSynthCommandRejectsBadFlags(t *testing.T) {
	tests := [][]string{
		{"--size", "256"},
		{"--size", "0x10"},
		{"--people", "3-1"},
		{"--people", "x"},
		{"--person-height", "0.9-0.4"},
		{"--person-height", "0-1"},
		{"--person-height", "big"},
		{"--occlusion", "total"},
		{"--val-fraction", "1.5"},
		{"--images", "0", "--sequences", "0"},
		{"--sequences", "1", "--fps", "0"},
		{"--format", "gif"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		args := append([]string{"synth", "--out", t.TempDir()}, tc...)
		if code := run(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", tc, code, errb.String())
		}
	}
}

// TestSynthCommandBackgrounds renders on photographs loaded from a directory.
func TestSynthCommandBackgrounds(t *testing.T) {
	photos := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 120, 90))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	if err := dataset.SaveImage(filepath.Join(photos, "wall.png"), img); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		code int
	}{
		{"photos", photos, 0},
		{"missing directory", filepath.Join(photos, "nope"), 1},
		{"no images", t.TempDir(), 1},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		args := []string{"synth", "--out", t.TempDir(), "--images", "2", "--size", "48x40", "--backgrounds", tc.dir, "--photo-fraction", "1", "--sheet", "0"}
		if code := run(context.Background(), args, &out, &errb); code != tc.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", tc.name, code, tc.code, errb.String())
		}
	}
}
