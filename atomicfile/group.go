package atomicfile

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// groupPrefix starts the staged names of a Group: groupPrefix + digits + "." + base, which keeps
// the extension (writers choose a format by it).
const groupPrefix = ".new-"

// Group replaces several files that belong together (a results JSON and its overlay): each is
// written to a staged name from Path, with any writer, and Commit renames them all into place
// only once every one was written. If anything fails before Commit, Abort removes the staged
// files and every previous output is left as it was, none replaced. Commit's renames are quick
// but not one atomic step: a crash in between can leave some replaced, which its error names.
type Group struct {
	staged []staged
}

type staged struct{ tmp, final string }

// Path returns the name to write final's new content to.
func (g *Group) Path(final string) string {
	dir, base := filepath.Split(final)
	tmp := filepath.Join(dir, fmt.Sprintf("%s%d.%s", groupPrefix, rand.Uint32(), base))
	g.staged = append(g.staged, staged{tmp, final})
	return tmp
}

// Commit renames every staged file to its final name, then syncs their folders. Each staged
// file must exist.
func (g *Group) Commit() error {
	for _, s := range g.staged {
		if _, err := os.Stat(s.tmp); err != nil {
			return fmt.Errorf("commit %s: not written: %w", s.final, err)
		}
		if st, err := os.Lstat(s.final); err == nil && st.IsDir() {
			return fmt.Errorf("commit %s: is a directory; nothing was replaced", s.final)
		}
	}
	dirs := map[string]bool{}
	for i, s := range g.staged {
		if err := os.Rename(s.tmp, s.final); err != nil {
			var stale []string
			for _, r := range g.staged[i:] {
				stale = append(stale, r.final)
			}
			return fmt.Errorf("commit: %w; %s keep their previous content (stale)", err, strings.Join(stale, ", "))
		}
		dirs[filepath.Dir(s.final)] = true
	}
	g.staged = nil
	var errs []error
	for d := range dirs {
		errs = append(errs, SyncDir(d))
	}
	return errors.Join(errs...)
}

// Abort removes the staged files not yet committed (it does nothing after Commit).
func (g *Group) Abort() {
	for _, s := range g.staged {
		os.Remove(s.tmp)
	}
	g.staged = nil
}
