package dataset

import (
	"context"
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const opencvData = "/usr/share/doc/opencv-doc/examples/data/"

func testImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	return img
}

func TestSaveLoadImage(t *testing.T) {
	dir := t.TempDir()
	img := testImage(32, 24)
	for _, name := range []string{"a.png", "b.jpg", "c.JPEG"} {
		path := filepath.Join(dir, name)
		if err := SaveImage(path, img); err != nil {
			t.Fatal(err)
		}
		got, err := LoadImage(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Bounds() != img.Bounds() {
			t.Fatalf("%s: bounds %v", name, got.Bounds())
		}
		maxDiff := 0
		for y := 0; y < 24; y++ {
			for x := 0; x < 32; x++ {
				r1, g1, b1, _ := got.At(x, y).RGBA()
				r0, g0, b0, _ := img.At(x, y).RGBA()
				for _, d := range []int{int(r1>>8) - int(r0>>8), int(g1>>8) - int(g0>>8), int(b1>>8) - int(b0>>8)} {
					maxDiff = max(maxDiff, d, -d)
				}
			}
		}
		if limit := map[bool]int{true: 0, false: 16}[name == "a.png"]; maxDiff > limit {
			t.Errorf("%s: pixels differ by up to %d, want ≤ %d", name, maxDiff, limit)
		}
	}
	if err := SaveImage(filepath.Join(dir, "x.bmp"), img); err == nil || !strings.Contains(err.Error(), "x.bmp") {
		t.Errorf("unknown extension: %v", err)
	}
}

func TestLoadImageErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jpg")
	if err := SaveImage(good, testImage(64, 48)); err != nil {
		t.Fatal(err)
	}
	goodPNG := filepath.Join(dir, "good.png")
	if err := SaveImage(goodPNG, testImage(64, 48)); err != nil {
		t.Fatal(err)
	}
	jpg, _ := os.ReadFile(good)
	pngData, _ := os.ReadFile(goodPNG)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		path string
		want string
	}{
		{"missing", filepath.Join(dir, "nope.jpg"), "no such file"},
		{"empty", write("empty.jpg", nil), "empty file"},
		{"truncated jpeg", write("trunc.jpg", jpg[:len(jpg)/2]), "truncated"},
		{"truncated png", write("trunc.png", pngData[:len(pngData)/2]), "truncated"},
		{"not an image", write("text.png", []byte("hello, world")), "not a JPEG or PNG"},
		{"corrupt jpeg", write("bad.jpg", append(append([]byte{}, jpg[:20]...), make([]byte, 200)...)), "bad.jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadImage(tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.path) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to name %s and say %q", err, tt.path, tt.want)
			}
		})
	}
}

// TestLoadRealImages decodes the real photos Debian's opencv-doc ships, when present.
func TestLoadRealImages(t *testing.T) {
	for _, tt := range []struct {
		name string
		w, h int
	}{{"messi5.jpg", 548, 342}, {"basketball1.png", 640, 480}} {
		img, err := LoadImage(opencvData + tt.name)
		if errors.Is(err, os.ErrNotExist) {
			t.Skip("opencv-doc sample images not installed")
		}
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
			t.Errorf("%s: %v, want %dx%d", tt.name, b, tt.w, tt.h)
		}
	}
}

func TestCheckImages(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ok.png", "sub/ok.jpg", "small.png"} {
		w := 8
		if name == "small.png" {
			w = 4
		}
		if err := SaveImage(filepath.Join(dir, name), testImage(w, 6)); err != nil {
			t.Fatal(err)
		}
	}
	d := &Dataset{Images: []Image{
		{ID: 1, FileName: "ok.png", Width: 8, Height: 6},
		{ID: 2, FileName: "sub/ok.jpg"}, // size unknown: not checked
		{ID: 30, FileName: "gone.jpg", Width: 8, Height: 6},
		{ID: 40, FileName: "small.png", Width: 8, Height: 6},
	}}
	err := d.CheckImages(context.Background(), dir)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"image id 30", "gone.jpg", "image id 40", "small.png is 4x6, the dataset says 8x6"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	for _, unwanted := range []string{"image id 1:", "image id 2:"} {
		if strings.Contains(msg, unwanted) {
			t.Errorf("error %q mentions a good image (%q)", msg, unwanted)
		}
	}
	d.Images = d.Images[:2]
	if err := d.CheckImages(context.Background(), dir); err != nil {
		t.Errorf("good images: %v", err)
	}
}

func TestVerifyImagesCatchesTruncation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.jpg")
	if err := SaveImage(path, testImage(64, 48)); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	d := &Dataset{Images: []Image{{ID: 77, FileName: "t.jpg", Width: 64, Height: 48}}}
	if err := d.CheckImages(context.Background(), dir); err != nil {
		t.Fatalf("CheckImages reads headers only, got %v", err)
	}
	err := d.VerifyImages(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "image id 77") || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("VerifyImages: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.VerifyImages(ctx, dir); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
