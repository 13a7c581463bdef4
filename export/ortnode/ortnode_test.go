package ortnode

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestFindWithoutNode(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("POSEDISTILL_NODE", "")
	if _, err := Find(); err != ErrUnavailable {
		t.Fatalf("Find without node on PATH: %v, want ErrUnavailable", err)
	}
}

// TestFindFromLibraryPath finds onnxruntime-node from ONNXRUNTIME_SHARED_LIBRARY_PATH alone, and
// nothing from the working directory.
func TestFindFromLibraryPath(t *testing.T) {
	modules := filepath.Join(t.TempDir(), "npm", "node_modules")
	pkg := filepath.Join(modules, "onnxruntime-node")
	if err := os.MkdirAll(filepath.Join(pkg, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkg, "package.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("POSEDISTILL_NODE", "/usr/bin/node")
	t.Setenv("POSEDISTILL_CACHE", "")
	t.Setenv("ONNXRUNTIME_SHARED_LIBRARY_PATH", filepath.Join(pkg, "bin", "libonnxruntime.so.1"))
	r, err := Find()
	if err != nil || r.NodeModules != modules || r.Node != "/usr/bin/node" {
		t.Fatalf("Find: %+v, %v; want node_modules %s", r, err, modules)
	}
	t.Setenv("ONNXRUNTIME_SHARED_LIBRARY_PATH", "")
	t.Chdir(filepath.Dir(modules)) // a working directory beside node_modules is not searched
	if _, err := Find(); err != ErrUnavailable {
		t.Errorf("Find without a setting: %v, want ErrUnavailable", err)
	}
}

func TestRunBadModel(t *testing.T) {
	r, err := Find()
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
