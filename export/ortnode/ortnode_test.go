package ortnode

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestFindWithoutNode(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := Find("."); err != ErrUnavailable {
		t.Fatalf("Find without node on PATH: %v, want ErrUnavailable", err)
	}
}

func TestRunBadModel(t *testing.T) {
	r, err := Find(".")
	if err != nil {
		t.Skip(err)
	}
	path := filepath.Join(t.TempDir(), "bad.onnx")
	if err := os.WriteFile(path, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background(), path, []float32{1}, []int{1}, 0); err == nil {
		t.Fatal("running a corrupt model: no error")
	} else {
		t.Log(err)
	}
}
