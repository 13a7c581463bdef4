// Package rundir guards the folders that long jobs write into (a training run, an experiment):
// one process at a time, nothing replaced without being asked.
//
// Open takes an advisory lock on the folder (flock on DIR/.lock, released by the kernel when the
// process dies, so a killed run never leaves a stale lock), records the holder (pid, host, start
// time, command line) in the lock file for the error a second process gets, removes the temporary
// files that writers killed mid-write left behind (atomicfile.CleanTemps), and refuses a folder
// that already holds a run unless the caller resumes it or explicitly overwrites it.
//
// Locks are re-entrant within a process: a library that locks a folder (train.Run) can be called
// by another that already holds it (distill.TrainOnce); the folder is unlocked when the last
// holder releases it.
package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/posedistill/posedistill/atomicfile"
)

// LockFile is the lock of a folder, DIR/.lock. It holds the last holder's description.
const LockFile = ".lock"

// Holder describes the process holding a folder's lock.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Command string    `json:"command"`
}

func (h Holder) String() string {
	if h.PID == 0 {
		return "another process (it has not written its name yet)"
	}
	s := fmt.Sprintf("pid %d on %s since %s", h.PID, h.Host, h.Started.Local().Format("2006-01-02 15:04:05"))
	if h.Command != "" {
		s += fmt.Sprintf(" (%s)", h.Command)
	}
	return s
}

// LockedError is the error of Lock and Open when another process holds the folder.
type LockedError struct {
	Dir    string
	Holder Holder
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s is in use by %s; wait for it or stop it", e.Dir, e.Holder)
}

// ErrExists is wrapped by Open's error for a folder that holds a run and neither Resume nor
// Overwrite was asked; ErrNothingToResume by its error when Resume finds no run.
var (
	ErrExists          = errors.New("already holds a run")
	ErrNothingToResume = errors.New("holds no run to resume")
)

// Options say what the caller means to do with the folder.
type Options struct {
	// Resume continues the run in the folder (it must hold one).
	Resume bool
	// Overwrite starts a new run even if the folder holds one (the caller removes its files).
	Overwrite bool
	// Markers are the files whose presence means the folder holds a run (e.g. config.json,
	// checkpoint.ckpt).
	Markers []string
}

// Dir is an open, locked folder.
type Dir struct {
	*Lock
	// Existing lists the markers found when the folder was opened (empty for a new run).
	Existing []string
	// Cleaned lists the temporary files removed.
	Cleaned []string
}

// Open creates dir if needed, locks it, cleans leftover temporary files and checks opts: a folder
// with any of opts.Markers is refused unless opts.Resume or opts.Overwrite; opts.Resume on a
// folder without them is refused. The caller releases the returned Dir.
func Open(dir string, opts Options) (*Dir, error) {
	if opts.Resume && opts.Overwrite {
		return nil, fmt.Errorf("%s: resume continues a run, overwrite replaces it: give one of them", dir)
	}
	lk, err := Acquire(dir)
	if err != nil {
		return nil, err
	}
	d := &Dir{Lock: lk}
	if d.Cleaned, err = atomicfile.CleanTemps(dir); err != nil {
		lk.Release()
		return nil, err
	}
	for _, m := range opts.Markers {
		if _, err := os.Lstat(filepath.Join(dir, m)); err == nil {
			d.Existing = append(d.Existing, m)
		}
	}
	switch {
	case len(d.Existing) > 0 && !opts.Resume && !opts.Overwrite:
		lk.Release()
		return nil, fmt.Errorf("%s %w (%s): give --resume to continue it or --overwrite to replace it", dir, ErrExists, strings.Join(d.Existing, ", "))
	case len(d.Existing) == 0 && opts.Resume:
		lk.Release()
		return nil, fmt.Errorf("%s %w (no %s)", dir, ErrNothingToResume, strings.Join(opts.Markers, ", "))
	}
	return d, nil
}

// Lock is a held lock of a folder.
type Lock struct {
	key  string
	once sync.Once
}

// held is one folder's lock file, shared by the holders in this process.
type held struct {
	f    *os.File
	refs int
}

var (
	mu    sync.Mutex
	locks = map[string]*held{}
)

// Acquire creates dir if needed and locks it (without waiting): another process holding it is a
// *LockedError naming that process.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	key, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if r, err := filepath.EvalSymlinks(key); err == nil {
		key = r
	}
	mu.Lock()
	defer mu.Unlock()
	if h := locks[key]; h != nil {
		h.refs++
		return &Lock{key: key}, nil
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		var h Holder
		if b, err := io.ReadAll(io.LimitReader(f, 1<<16)); err == nil {
			json.Unmarshal(b, &h)
		}
		f.Close()
		return nil, &LockedError{Dir: dir, Holder: h}
	}
	me := Self()
	b, _ := json.Marshal(me)
	if err := f.Truncate(0); err == nil {
		f.WriteAt(append(b, '\n'), 0)
	}
	locks[key] = &held{f: f, refs: 1}
	return &Lock{key: key}, nil
}

// Release gives the lock up (once; later calls do nothing). The lock file stays, with its last
// holder's description: a lock file without a lock is harmless.
func (l *Lock) Release() {
	if l == nil {
		return
	}
	l.once.Do(func() {
		mu.Lock()
		defer mu.Unlock()
		h := locks[l.key]
		if h == nil {
			return
		}
		if h.refs--; h.refs == 0 {
			unlock(h.f)
			h.f.Close()
			delete(locks, l.key)
		}
	})
}

var started = time.Now()

// Self describes this process as a lock holder.
func Self() Holder {
	host, _ := os.Hostname()
	cmd := strings.Join(os.Args, " ")
	if len(cmd) > 200 {
		cmd = cmd[:200] + "…"
	}
	return Holder{PID: os.Getpid(), Host: host, Started: started.Round(time.Second), Command: cmd}
}

// Clear removes everything in dir except its lock file (so that a folder being restarted stays
// locked), then syncs dir.
func Clear(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.Name() == LockFile {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("clear %s: %w", dir, err)
		}
	}
	return atomicfile.SyncDir(dir)
}
