package train

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/rundir"
	"github.com/posedistill/posedistill/topdown"
)

// copyDataset copies the shared test dataset so that a test may damage it.
func copyDataset(t *testing.T) string {
	t.Helper()
	src, dst := testData(t), t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestRunFolderIsGuarded reproduces issue 16's lost runs: a second train into a run folder
// replaced it without a word, a resume accepted another dataset or config, and a fresh start
// killed before its first checkpoint left a folder that --resume "finished" with the old
// checkpoint. Now: refused unless Resume or Overwrite; resume compares the run's record; an
// overwrite removes the old checkpoint first; a mixed folder is refused.
func TestRunFolderIsGuarded(t *testing.T) {
	data := testData(t)
	b := testBackend(t)
	ctx := context.Background()
	cfg := tinyConfig()
	dir := t.TempDir()
	opts := Options{DataDir: data, OutDir: dir, Backend: b, NoValidation: true, StopAt: 3}
	if _, err := Run(ctx, cfg, opts); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	// A second fresh start is refused and leaves the run intact.
	_, err = Run(ctx, cfg, opts)
	if !errors.Is(err, rundir.ErrExists) || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("second fresh start: %v", err)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, CheckpointFile)); !bytes.Equal(now, first) {
		t.Fatal("the refused start changed the checkpoint")
	}
	// A resume with another learning rate or another dataset is refused, naming the difference.
	resume := opts
	resume.Resume, resume.StopAt = true, 4
	other := cfg
	other.LR = 0.5
	if _, err := Run(ctx, other, resume); err == nil || !strings.Contains(err.Error(), "lr: 0.01 in the run, 0.5 now") {
		t.Errorf("resume with another lr: %v", err)
	}
	data2 := copyDataset(t)
	val := filepath.Join(data2, "val.json")
	vb, _ := os.ReadFile(val)
	os.WriteFile(val, append(vb, '\n'), 0o644)
	r2 := resume
	r2.DataDir = data2
	if _, err := Run(ctx, cfg, r2); err == nil || !strings.Contains(err.Error(), "resume with the run's dataset") {
		t.Errorf("resume with another dataset: %v", err)
	}
	short := cfg
	short.Steps = 2
	if _, err := Run(ctx, short, resume); err == nil || !strings.Contains(err.Error(), "beyond the 2 steps") {
		t.Errorf("resume with fewer steps than done: %v", err)
	}
	// The same dataset elsewhere (same content) resumes; more steps are allowed.
	r3 := resume
	r3.DataDir = copyDataset(t)
	longer := cfg
	longer.Steps = 8
	if _, err := Run(ctx, longer, r3); err != nil {
		t.Fatalf("resume: %v", err)
	}
	// An overwrite that dies before its first checkpoint (a hook fails at step 0) leaves no
	// checkpoint of the old run for --resume to finish.
	ow := opts
	ow.Overwrite = true
	boom := errors.New("killed")
	ow.BeforeStep = func(context.Context, int, *topdown.Batch) error { return boom }
	if _, err := Run(ctx, cfg, ow); !errors.Is(err, boom) {
		t.Fatalf("overwrite: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, CheckpointFile)); !os.IsNotExist(err) {
		t.Fatalf("the old checkpoint survived an overwrite: %v", err)
	}
	if _, err := Run(ctx, cfg, resume); err == nil || !strings.Contains(err.Error(), "before its first checkpoint") {
		t.Errorf("resume after a killed fresh start: %v", err)
	}
	// The old checkpoint put back by hand (the mixed state) is refused too.
	os.WriteFile(filepath.Join(dir, CheckpointFile), first, 0o644)
	if _, err := Run(ctx, cfg, resume); err == nil || !strings.Contains(err.Error(), "belongs to another run") {
		t.Errorf("resume of a mixed folder: %v", err)
	}
	// A checkpoint temp file left by a kill mid-write is gone once the folder is opened again.
	tmp := filepath.Join(dir, ".checkpoint.ckpt.tmp-31337")
	os.WriteFile(tmp, []byte("partial"), 0o644)
	ow.BeforeStep = nil
	if _, err := Run(ctx, cfg, ow); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("leftover %s kept: %v", tmp, err)
	}
}

// TestRunChecksImagesUpFront: a missing image and one whose size differs from the JSON are found
// before training starts, listed in one error (issue 16: they trained silently or failed hours
// later); SkipBadImages trains without them and says so.
func TestRunChecksImagesUpFront(t *testing.T) {
	data := copyDataset(t)
	imgs, _ := filepath.Glob(filepath.Join(data, "images", "*.png"))
	if len(imgs) < 3 {
		t.Fatalf("%d images", len(imgs))
	}
	os.Remove(imgs[0])
	// imgs[1] replaced by a smaller PNG: its header disagrees with the JSON.
	var small bytes.Buffer
	png.Encode(&small, image.NewGray(image.Rect(0, 0, 5, 5)))
	os.WriteFile(imgs[1], small.Bytes(), 0o644)
	cfg := tinyConfig()
	opts := Options{DataDir: data, OutDir: t.TempDir(), Backend: testBackend(t), NoValidation: true, StopAt: 1}
	_, err := Run(context.Background(), cfg, opts)
	if err == nil || !strings.Contains(err.Error(), filepath.Base(imgs[0])) || !strings.Contains(err.Error(), filepath.Base(imgs[1])) || !strings.Contains(err.Error(), "--skip-bad-images") {
		t.Fatalf("bad images: %v", err)
	}
	var warn bytes.Buffer
	opts.SkipBadImages, opts.Progress = true, &warn
	if _, err := Run(context.Background(), cfg, opts); err != nil {
		t.Fatalf("skip bad images: %v", err)
	}
	if !strings.Contains(warn.String(), "skipping") {
		t.Errorf("no warning: %q", warn.String())
	}
}

// TestNaNDoesNotPromiseAMissingCheckpoint: lr 1e30 makes the loss non-finite before the first
// checkpoint; the error says so instead of naming a "last good checkpoint" that does not exist.
func TestNaNDoesNotPromiseAMissingCheckpoint(t *testing.T) {
	cfg := tinyConfig()
	cfg.LR, cfg.MinLR, cfg.WarmupSteps, cfg.Schedule = 1e30, 0, 0, "constant"
	cfg.Steps, cfg.CheckpointEvery = 20, 100
	dir := t.TempDir()
	_, err := Run(context.Background(), cfg, Options{DataDir: testData(t), OutDir: dir, Backend: testBackend(t), NoValidation: true})
	if !errors.Is(err, ErrNaN) {
		t.Fatalf("lr 1e30: %v", err)
	}
	if !strings.Contains(err.Error(), "before any checkpoint") || strings.Contains(err.Error(), "last good") {
		t.Errorf("message: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, CheckpointFile)); !os.IsNotExist(err) {
		t.Errorf("checkpoint: %v", err)
	}
}

// TestReadSplitRefusesPathsOutsideTheDataset: file_names with ../ are refused in one error that
// lists them, before any file is opened (issue 16: the error printed the first bytes of the file
// reached outside the dataset).
func TestReadSplitRefusesPathsOutsideTheDataset(t *testing.T) {
	data := copyDataset(t)
	p := filepath.Join(data, "train.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), `"images/000001.png"`, `"../../../etc/passwd"`, 1)
	s = strings.Replace(s, `"images/000002.png"`, `"images/../../secret.png"`, 1)
	if s == string(b) {
		t.Fatal("no file_name replaced")
	}
	os.WriteFile(p, []byte(s), 0o644)
	_, err = ReadSplit(context.Background(), data, "train.json")
	if err == nil || !strings.Contains(err.Error(), "2 bad images") || !strings.Contains(err.Error(), "etc/passwd") || !strings.Contains(err.Error(), "leaves the dataset folder") {
		t.Fatalf("ReadSplit: %v", err)
	}
}
