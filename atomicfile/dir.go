package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ReplaceDir replaces the folder dir by a new one that fill writes: fill gets a fresh sibling
// folder (".BASE.new-PID"); only when it succeeds is the old dir moved aside, the new one renamed
// to dir and the old one removed. A failure (or a kill) before that leaves dir as it was: outputs
// that belong together, such as a dataset's JSON files and its images, are never mixed across
// two runs.
//
// An existing dir may hold only names from owned (what the caller writes into it), so that a
// mistyped folder is refused rather than moved away. Leftovers of killed replacements (a new
// folder whose process is gone, an old folder not yet removed) are removed first.
func ReplaceDir(dir string, owned []string, fill func(tmp string) error) error {
	dir = filepath.Clean(dir)
	parent, base := filepath.Split(dir)
	if parent == "" {
		parent = "."
	}
	if base == "." || base == ".." || base == "" {
		return fmt.Errorf("replace %s: not a folder name", dir)
	}
	if entries, err := os.ReadDir(dir); err == nil {
		var foreign []string
		for _, e := range entries {
			if !slices.Contains(owned, e.Name()) {
				foreign = append(foreign, e.Name())
			}
		}
		if len(foreign) > 0 {
			if len(foreign) > 5 {
				foreign = append(foreign[:5], "…")
			}
			return fmt.Errorf("replace %s: it holds files this command did not write (%s): choose a new or empty folder", dir, strings.Join(foreign, ", "))
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	cleanLeftovers(parent, base)
	tmp := filepath.Join(parent, fmt.Sprintf(".%s.new-%d", base, os.Getpid()))
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	if err := fill(tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	old := filepath.Join(parent, fmt.Sprintf(".%s.old-%d", base, os.Getpid()))
	hadOld := false
	if err := os.Rename(dir, old); err == nil {
		hadOld = true
	} else if !errors.Is(err, os.ErrNotExist) {
		os.RemoveAll(tmp)
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if hadOld {
			os.Rename(old, dir)
		}
		os.RemoveAll(tmp)
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	if err := SyncDir(parent); err != nil {
		return err
	}
	if hadOld {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("replace %s: the new folder is in place; removing the old one (%s): %w", dir, old, err)
		}
	}
	return nil
}

// cleanLeftovers removes ".BASE.old-PID" folders and ".BASE.new-PID" folders whose process is
// gone from parent.
func cleanLeftovers(parent, base string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "."+base+".")
		if !ok || !e.IsDir() {
			continue
		}
		kind, pidStr, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || (kind != "new" && kind != "old") {
			continue
		}
		if kind == "old" || (pid != os.Getpid() && !processAlive(pid)) {
			os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}
