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
	m, err := readTarball(bytes.NewReader(tgz))
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
	if _, err := readTarball(bytes.NewReader([]byte("not gzip"))); err == nil {
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
