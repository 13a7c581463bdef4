package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/train"
)

// models pack writes a run as a model folder whose half-precision weights load like the run's
// (every weight within float16 rounding), and refuses a folder it did not write.
func TestModelsPackLoadsLikeTheRun(t *testing.T) {
	_, run := exportTestRun(t)
	out := filepath.Join(t.TempDir(), "zoo", "tiny")
	var stdout, stderr bytes.Buffer
	if err := runModels(context.Background(), []string{"pack", run, "--out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("models pack: %v\n%s", err, stderr.String())
	}
	orig, err := train.LoadTrained(run)
	if err != nil {
		t.Fatal(err)
	}
	packed, err := train.LoadTrained(out)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for v := range orig.Store.IterVariables() {
		pv := packed.Store.GetVariable(v.Path())
		if pv == nil {
			t.Fatalf("packed model lacks %s", v.Path())
		}
		a, b := tensors.MustCopyFlatData[float32](v.MustValue()), tensors.MustCopyFlatData[float32](pv.MustValue())
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > math.Abs(float64(a[i]))/2048+6e-8 {
				t.Fatalf("%s[%d]: packed %v, run %v", v.Path(), i, b[i], a[i])
			}
		}
		n++
	}
	if n == 0 {
		t.Fatal("no network variable compared")
	}
	st1, _ := os.Stat(train.RunCheckpoint(run))
	st2, _ := os.Stat(filepath.Join(out, train.BestFile))
	if st2.Size()*2 > st1.Size() {
		t.Errorf("packed weights %d bytes, the run's checkpoint %d: want less than half", st2.Size(), st1.Size())
	}
	// A folder holding files pack did not write is refused, not replaced.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runModels(context.Background(), []string{"pack", run, "--out", other}, &stdout, &stderr); err == nil {
		t.Error("models pack replaced a folder holding notes.txt")
	}
}
