package modelstore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/posedistill/posedistill/atomicfile"
)

// VerifiedFile is where, in a model folder, ReadModel records the files it has hashed: name →
// size, modification time and SHA-256. A file whose size and modification time are unchanged
// is not hashed again.
const VerifiedFile = ".verified.json"

// ErrDigest is wrapped by the error of a model file whose content does not match its pinned
// SHA-256.
var ErrDigest = errors.New("model file does not match its recorded SHA-256")

// verifiedEntry is one record of VerifiedFile.
type verifiedEntry struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	SHA256  string    `json:"sha256"`
}

var verifyMu sync.Mutex

// Pinned returns the pinned digest of a model file known by its base name (the BlazePose
// files), and whether there is one.
func Pinned(name string) (File, bool) {
	for _, f := range BlazePoseFiles() {
		if f.Name == name {
			return f, true
		}
	}
	return File{}, false
}

// ReadModel reads an imported model file and, when its name has a pinned digest (Pinned), checks
// its content against it: a damaged or replaced file is an error wrapping ErrDigest that names
// it, instead of a model that runs and computes garbage. The digest is computed once per size and
// modification time (recorded in the folder's VerifiedFile) and again whenever either changes. A
// file without a pinned digest is read as it is.
func ReadModel(path string) ([]byte, error) {
	f, ok := Pinned(filepath.Base(path))
	return readModel(path, f, ok)
}

// readModel is ReadModel with the pinned digest given.
func readModel(path string, f File, ok bool) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	if !ok {
		return data, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	verifyMu.Lock()
	defer verifyMu.Unlock()
	dir := filepath.Dir(path)
	rec := readVerified(dir)
	if e, ok := rec[f.Name]; ok && e.Size == st.Size() && e.ModTime.Equal(st.ModTime()) && e.SHA256 == f.SHA256 && int64(len(data)) == st.Size() {
		return data, nil
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != f.SHA256 {
		return nil, fmt.Errorf("%s: %w (SHA-256 %.16s…, recorded %.16s…): fetch it again with `posedistill models fetch blazepose`", path, ErrDigest, got, f.SHA256)
	}
	rec[f.Name] = verifiedEntry{Size: st.Size(), ModTime: st.ModTime(), SHA256: f.SHA256}
	if b, err := json.MarshalIndent(rec, "", "  "); err == nil {
		atomicfile.WriteBytes(filepath.Join(dir, VerifiedFile), append(b, '\n')) // a cache: failing to write it only costs a hash
	}
	return data, nil
}

// readVerified reads a folder's VerifiedFile (empty when missing or unreadable).
func readVerified(dir string) map[string]verifiedEntry {
	rec := map[string]verifiedEntry{}
	fh, err := os.Open(filepath.Join(dir, VerifiedFile))
	if err != nil {
		return rec
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, 1<<20))
	if err == nil {
		json.Unmarshal(b, &rec)
	}
	if rec == nil {
		rec = map[string]verifiedEntry{}
	}
	return rec
}
