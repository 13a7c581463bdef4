package modelstore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadModelVerifiesOnLoad: a cached model file is checked against its pinned digest when it
// is loaded, not only when fetched (issue 16: a damaged BlazePose model ran); the hash is
// computed once per size and modification time.
func TestReadModelVerifiesOnLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.tflite")
	good := []byte("model weights, version 1")
	sum := sha256.Sum256(good)
	pin := File{Name: "model.tflite", SHA256: hex.EncodeToString(sum[:])}
	os.WriteFile(path, good, 0o644)
	if _, err := readModel(path, pin, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, VerifiedFile)); err != nil {
		t.Fatalf("no verification record: %v", err)
	}
	// Same size and time: the recorded verdict is reused (this is the documented cost bound);
	// a changed time means hashing again, and the damage is found.
	bad := []byte("model weights, versiom 1")
	st, _ := os.Stat(path)
	os.WriteFile(path, bad, 0o644)
	os.Chtimes(path, st.ModTime(), st.ModTime())
	if _, err := readModel(path, pin, true); err != nil {
		t.Errorf("unchanged size and time: %v", err)
	}
	later := st.ModTime().Add(time.Second)
	os.Chtimes(path, later, later)
	_, err := readModel(path, pin, true)
	if !errors.Is(err, ErrDigest) || !strings.Contains(err.Error(), path) {
		t.Fatalf("damaged model: %v", err)
	}
	// The BlazePose names are pinned: a damaged pose_detection.tflite is refused by ReadModel.
	det := filepath.Join(dir, PoseDetection)
	os.WriteFile(det, []byte("TFL3 not the detector"), 0o644)
	if _, err := ReadModel(det); !errors.Is(err, ErrDigest) {
		t.Errorf("damaged %s: %v", PoseDetection, err)
	}
	// A file without a pinned digest is read as it is.
	other := filepath.Join(dir, "mine.tflite")
	os.WriteFile(other, []byte("x"), 0o644)
	if _, err := ReadModel(other); err != nil {
		t.Errorf("unpinned: %v", err)
	}
}
