package dataset

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bombPNG returns a tiny valid PNG whose header claims w×h pixels.
func bombPNG(t *testing.T, w, h uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage(1, 1)); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// IHDR: length (4) "IHDR" (4) width height ... crc, right after the 8-byte signature.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// TestLoadImageRefusesDecompressionBomb: a PNG of under 100 bytes whose header claims 65535×65535
// (issue 16: predict reached 16.8 GB) is refused from its header, before decoding, by the loader
// and by CheckImages.
func TestLoadImageRefusesDecompressionBomb(t *testing.T) {
	dir := t.TempDir()
	data := bombPNG(t, 65535, 65535)
	if len(data) > 100 {
		t.Fatalf("bomb of %d bytes", len(data))
	}
	path := filepath.Join(dir, "bomb.png")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadImage(path)
	if !errors.Is(err, ErrImageTooLarge) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "65535x65535") {
		t.Fatalf("LoadImage: %v", err)
	}
	d := &Dataset{Images: []Image{{ID: 5, FileName: "bomb.png"}}}
	if err := d.CheckImages(context.Background(), dir); !errors.Is(err, ErrImageTooLarge) {
		t.Errorf("CheckImages: %v", err)
	}
	// Within the limit the same header is fine (and its data, a 1×1 image, then fails to decode).
	ok := bombPNG(t, 1, 1)
	os.WriteFile(path, ok, 0o644)
	if _, err := LoadImage(path); err != nil {
		t.Errorf("1x1 image: %v", err)
	}
}

// TestLoadImageRefusesFIFO: a named pipe in place of an image is refused at once, not waited on
// (issue 16: train and crops hung, Ctrl-C did not stop them); a cancelled context stops a load.
func TestLoadImageRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pipe.jpg")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 2)
	go func() {
		_, err := LoadImage(path)
		done <- err
	}()
	go func() {
		d := &Dataset{Images: []Image{{ID: 9, FileName: "pipe.jpg"}}}
		done <- d.CheckImages(context.Background(), dir)
	}()
	for range 2 {
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegularFile) || !strings.Contains(err.Error(), "named pipe") {
				t.Errorf("FIFO: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("loading a FIFO hangs")
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "a.png"), bombPNG(t, 1, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := LoadImageContext(ctx, filepath.Join(dir, "a.png")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// TestImagePathsStayInTheDataset: file_name values with ../, absolute paths, and symbolic links
// that lead out of the dataset folder are refused (issue 16: the error even printed the first
// bytes of the file it reached); CheckImages lists every bad image in one error.
func TestImagePathsStayInTheDataset(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.png")
	if err := os.WriteFile(secret, []byte("PRIVATE KEY DATA"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "data")
	os.MkdirAll(filepath.Join(root, "images"), 0o755)
	if err := SaveImage(filepath.Join(root, "images", "ok.png"), testImage(4, 4)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(root, "images", "link.png")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "images", "dir")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"../" + filepath.Base(outside) + "/secret.png", "images/../../x.png", secret} {
		if _, err := ImagePath(root, name); !errors.Is(err, ErrOutsideRoot) {
			t.Errorf("ImagePath(%q): %v", name, err)
		}
	}
	for _, name := range []string{"images/link.png", "images/dir/secret.png"} {
		if _, err := ImagePath(root, name); err != nil {
			t.Errorf("ImagePath(%q) (lexically inside): %v", name, err)
		}
		if _, err := ResolveImagePath(root, name); !errors.Is(err, ErrOutsideRoot) {
			t.Errorf("ResolveImagePath(%q): %v", name, err)
		}
	}
	if p, err := ResolveImagePath(root, "images/./ok.png"); err != nil || p != filepath.Join(root, "images", "ok.png") {
		t.Errorf("good path: %q, %v", p, err)
	}
	d := &Dataset{Images: []Image{
		{ID: 1, FileName: "images/ok.png", Width: 4, Height: 4},
		{ID: 2, FileName: "../../" + secret},
		{ID: 3, FileName: "images/link.png"},
		{ID: 4, FileName: "images/missing.png"},
	}}
	bad, err := d.BadImages(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) != 3 || bad[0].ID != 2 || bad[1].ID != 3 || bad[2].ID != 4 {
		t.Fatalf("bad images %v", bad)
	}
	err = d.CheckImages(context.Background(), root)
	if err == nil || strings.Contains(err.Error(), "PRIVATE") || !strings.Contains(err.Error(), "3 bad images") {
		t.Errorf("CheckImages: %v", err)
	}
	// A dataset whose folder is itself a link is fine.
	link := filepath.Join(t.TempDir(), "datalink")
	os.Symlink(root, link)
	if _, err := ResolveImagePath(link, "images/ok.png"); err != nil {
		t.Errorf("linked dataset folder: %v", err)
	}
}

// TestStalledReadGivesUp: a read that blocks (a stalled network file system) returns the
// deadline's error after ImageReadTimeout, and at once when the context is cancelled (Ctrl-C).
func TestStalledReadGivesUp(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	stalled := func() (int, error) { <-block; return 0, nil }
	old := ImageReadTimeout
	ImageReadTimeout = 50 * time.Millisecond
	defer func() { ImageReadTimeout = old }()
	t0 := time.Now()
	if _, err := withDeadline(context.Background(), stalled); err == nil || !strings.Contains(err.Error(), "stalled") {
		t.Errorf("deadline: %v", err)
	}
	ImageReadTimeout = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := withDeadline(ctx, stalled); !errors.Is(err, context.Canceled) {
		t.Errorf("cancel: %v", err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}
