package topdown

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/posedistill/posedistill/dataset"
)

// TestLoaderRefusesFIFOAndHonoursContext: the training loader reads images through the project's
// loader, so a named pipe in place of an image is an error at once, not a hang (issue 16: train
// and crops hung and Ctrl-C did not stop them), and a cancelled context stops sampling.
func TestLoaderRefusesFIFOAndHonoursContext(t *testing.T) {
	dir := t.TempDir()
	paths := writeImages(t, dir, 1)
	fifo := filepath.Join(dir, "pipe.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	insts := testInstances([]string{fifo, paths[0]}, 2)
	cfg := testLoaderConfig(t, 1)
	cfg.Shuffle = false
	l, err := NewLoader(cfg, insts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := l.SampleAt(context.Background(), 0, 0)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, dataset.ErrNotRegularFile) {
			t.Errorf("FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sampling a FIFO hangs")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.SampleAt(ctx, 0, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := l.SampleAt(context.Background(), 0, 1); err != nil {
		t.Errorf("good image: %v", err)
	}
}
