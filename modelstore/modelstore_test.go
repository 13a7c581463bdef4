package modelstore

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExtractDetector(t *testing.T) {
	model := append([]byte{8, 0, 0, 0}, []byte("TFL3model-bytes")...)
	loader := []byte(`{"files": [{"filename": "/a/pose_detection.tflite", "start": 3, "end": 22}], "remote_package_size": 25}`)
	padded := append(append([]byte("abc"), model...), []byte("xyz")...)
	tests := []struct {
		name    string
		packed  []byte
		loader  []byte
		want    []byte
		wantErr string
	}{
		{"whole file", model, nil, model, ""},
		{"identifier search", append([]byte("junk"), model...), nil, model, ""},
		{"loader range", padded, loader, model, ""},
		{"no identifier", []byte("nothing to see here"), nil, nil, "no TFLite model"},
		{"identifier too early", []byte("TFL3...."), nil, nil, "no TFLite model"},
		{"loader range not a model", []byte("abcdefghijklmnopqrstuvwxy"), loader, nil, "not a TFLite model"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := extractDetector(tc.packed, tc.loader)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func makeTarball(t *testing.T, members map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, data := range members {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadTarball(t *testing.T) {
	tgz := makeTarball(t, map[string][]byte{
		"package/pose_landmark_lite.tflite": []byte("lite"),
		"package/README.md":                 []byte("ignored"),
		"package/" + packedAssets:           append([]byte{4, 0, 0, 0}, []byte("TFL3det")...),
	})
	m, err := readTarball(bytes.NewReader(tgz), BlazePosePack())
	if err != nil {
		t.Fatal(err)
	}
	if string(m[PoseLandmarkLite]) != "lite" {
		t.Errorf("lite = %q", m[PoseLandmarkLite])
	}
	if _, ok := m["README.md"]; ok {
		t.Error("README.md should be skipped")
	}
	det, err := m.get(PoseDetection)
	if err != nil || string(det[4:8]) != "TFL3" {
		t.Errorf("detector = %q, %v", det, err)
	}
	if _, err := m.get(PoseLandmarkHeavy); err == nil {
		t.Error("missing member: want error")
	}
	if _, err := readTarball(bytes.NewReader([]byte("not gzip")), BlazePosePack()); err == nil {
		t.Error("garbage tarball: want error")
	}
}

func TestFetchFromRejectsWrongDigest(t *testing.T) {
	from := t.TempDir()
	for _, f := range BlazePoseFiles() {
		if err := os.WriteFile(filepath.Join(from, f.Name), []byte("not the model"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cache := t.TempDir()
	err := FetchBlazePose(context.Background(), cache, from)
	if err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("err = %v, want a digest error", err)
	}
	if _, err := os.Stat(BlazePosePath(cache, PoseLandmarkLite)); !os.IsNotExist(err) {
		t.Fatalf("a file with a wrong digest was cached: %v", err)
	}
	if err := FetchBlazePose(context.Background(), cache, filepath.Join(from, "absent")); err == nil {
		t.Fatal("absent --from path: want error")
	}
}

func TestNPMUnavailable(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := FetchBlazePose(context.Background(), t.TempDir(), "")
	if !errors.Is(err, ErrNPMUnavailable) {
		t.Fatalf("err = %v, want ErrNPMUnavailable", err)
	}
}

// TestFetchBlazePose fetches the real package (into $POSEDISTILL_CACHE when set, so other tests
// reuse it) and then copies it with --from into a fresh cache.
func TestFetchBlazePose(t *testing.T) {
	cache, err := DefaultCacheDir()
	if err != nil || os.Getenv("POSEDISTILL_CACHE") == "" {
		cache = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := FetchBlazePose(ctx, cache, ""); err != nil {
		if errors.Is(err, ErrNPMUnavailable) {
			t.Skipf("npm cannot fetch %s: %v", BlazePoseNPMPackage, err)
		}
		t.Fatal(err)
	}
	if got := missingFiles(filepath.Join(cache, BlazePoseDir)); len(got) != 0 {
		t.Fatalf("missing after fetch: %v", got)
	}
	copyTo := t.TempDir()
	if err := FetchBlazePose(ctx, copyTo, filepath.Join(cache, BlazePoseDir)); err != nil {
		t.Fatal(err)
	}
	if got := missingFiles(filepath.Join(copyTo, BlazePoseDir)); len(got) != 0 {
		t.Fatalf("missing after --from: %v", got)
	}
}

// TestFetchMoveNet fetches the real MoveNet pack (into $POSEDISTILL_CACHE when set, so other tests
// reuse it), then copies it with --from, from the cache directory and from the package tarball's
// layout (package/models/), into fresh caches.
func TestFetchMoveNet(t *testing.T) {
	p := MoveNetPack()
	cache, err := DefaultCacheDir()
	if err != nil || os.Getenv("POSEDISTILL_CACHE") == "" {
		cache = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := p.Fetch(ctx, cache, ""); err != nil {
		if errors.Is(err, ErrNPMUnavailable) {
			t.Skipf("npm cannot fetch %s: %v", p.NPMPackage, err)
		}
		t.Fatal(err)
	}
	if got := p.missing(filepath.Join(cache, p.Name)); len(got) != 0 {
		t.Fatalf("missing after fetch: %v", got)
	}
	unpacked := t.TempDir()
	models := filepath.Join(unpacked, "package", "models")
	if err := os.MkdirAll(models, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range p.Files {
		data, err := os.ReadFile(p.Path(cache, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(models, f.Name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, from := range []string{filepath.Join(cache, p.Name), unpacked} {
		copyTo := t.TempDir()
		if err := p.Fetch(ctx, copyTo, from); err != nil {
			t.Fatal(err)
		}
		if got := p.missing(filepath.Join(copyTo, p.Name)); len(got) != 0 {
			t.Fatalf("missing after --from %s: %v", from, got)
		}
	}
}

func TestPacks(t *testing.T) {
	if got := PackNames(); len(got) != 2 || got[0] != "blazepose" || got[1] != "movenet" {
		t.Fatalf("PackNames = %v", got)
	}
	p, ok := PackNamed("movenet")
	if !ok || p.NPMVersion != MoveNetNPMVersion || len(p.Files) != 6 {
		t.Fatalf("PackNamed(movenet) = %+v, %v", p, ok)
	}
	if _, ok := PackNamed("nope"); ok {
		t.Fatal("PackNamed(nope): want false")
	}
	tgz := makeTarball(t, map[string][]byte{
		"package/models/" + MoveNetLightning: []byte("json"),
		"package/models/other.json":          []byte("ignored"),
	})
	m, err := readTarball(bytes.NewReader(tgz), p)
	if err != nil {
		t.Fatal(err)
	}
	if string(m[MoveNetLightning]) != "json" || len(m) != 1 {
		t.Fatalf("members = %v", m)
	}
}
