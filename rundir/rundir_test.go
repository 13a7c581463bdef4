package rundir

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary act as a second process holding a folder's lock.
func TestMain(m *testing.M) {
	if dir := os.Getenv("RUNDIR_TEST_HOLD"); dir != "" {
		lk, err := Acquire(dir)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		time.Sleep(time.Minute)
		lk.Release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSecondProcessIsKeptOutAndNamed: while another process holds a folder, Acquire and Open fail
// with an error naming its pid, host and start time; once it dies (kill -9: the kernel drops the
// flock) the folder opens (issue 16: two train processes on one folder).
func TestSecondProcessIsKeptOutAndNamed(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "RUNDIR_TEST_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("holder: %q", line)
	}
	_, err = Open(dir, Options{Markers: []string{"config.json"}})
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second process got %v, want a LockedError", err)
	}
	host, _ := os.Hostname()
	if le.Holder.PID != cmd.Process.Pid || le.Holder.Host != host || le.Holder.Started.IsZero() {
		t.Errorf("holder %+v, want pid %d on %s", le.Holder, cmd.Process.Pid, host)
	}
	if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("pid %d", cmd.Process.Pid)) || !strings.Contains(msg, dir) {
		t.Errorf("message %q names neither the holder nor the folder", msg)
	}
	cmd.Process.Kill()
	cmd.Wait()
	d, err := Open(dir, Options{Markers: []string{"config.json"}})
	if err != nil {
		t.Fatalf("after the holder died: %v", err)
	}
	d.Release()
}

// TestOpenRefusesExistingRunUnlessAsked: an existing run is refused without Resume or Overwrite,
// Resume needs a run, and the leftovers of a writer killed mid-write are cleaned.
func TestOpenRefusesExistingRunUnlessAsked(t *testing.T) {
	dir := t.TempDir()
	markers := []string{"config.json", "checkpoint.ckpt"}
	if _, err := Open(dir, Options{Resume: true, Markers: markers}); !errors.Is(err, ErrNothingToResume) {
		t.Errorf("resume of an empty folder: %v", err)
	}
	d, err := Open(dir, Options{Markers: markers})
	if err != nil {
		t.Fatal(err)
	}
	d.Release()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(dir, ".checkpoint.ckpt.tmp-4242"), []byte("partial"), 0o644)
	_, err = Open(dir, Options{Markers: markers})
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "--overwrite") || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("existing run: %v", err)
	}
	if _, err := Open(dir, Options{Resume: true, Overwrite: true, Markers: markers}); err == nil {
		t.Error("resume and overwrite together accepted")
	}
	for _, o := range []Options{{Resume: true, Markers: markers}, {Overwrite: true, Markers: markers}} {
		d, err := Open(dir, o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if len(d.Existing) != 1 || d.Existing[0] != "config.json" {
			t.Errorf("existing %v", d.Existing)
		}
		d.Release()
	}
	if _, err := os.Stat(filepath.Join(dir, ".checkpoint.ckpt.tmp-4242")); !os.IsNotExist(err) {
		t.Errorf("leftover temporary file kept: %v", err)
	}
}

// TestLockIsReentrantInProcess: a library locking a folder its caller already holds does not
// deadlock; the folder stays locked until the last release, and Clear keeps the lock file.
func TestLockIsReentrantInProcess(t *testing.T) {
	dir := t.TempDir()
	a, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	b.Release()
	b.Release() // idempotent
	if n := locks[a.key]; n == nil || n.refs != 1 {
		t.Fatalf("after one release: %+v", n)
	}
	os.WriteFile(filepath.Join(dir, "x"), nil, 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	if err := Clear(dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != LockFile {
		t.Errorf("after Clear: %v", entries)
	}
	a.Release()
	if len(locks) != 0 {
		t.Errorf("locks left: %v", locks)
	}
}
