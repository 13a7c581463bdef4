package distill

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"

	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/train"
)

// CacheVersion enters every cache key; bump it when training or data code changes what a cached
// teacher or dataset would contain.
const CacheVersion = "distill-v1"

// CacheDir returns dir, or the default cache (modelstore.DefaultCacheDir: $POSEDISTILL_CACHE, then
// the user cache directory's posedistill/).
func CacheDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	return modelstore.DefaultCacheDir()
}

// HashOf is the hex SHA-256 of the JSON of the values and CacheVersion, shortened to 16 digits.
func HashOf(vs ...any) (string, error) {
	h := sha256.New()
	h.Write([]byte(CacheVersion))
	for _, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// TeacherSpec is a teacher to train (or reuse from the cache).
type TeacherSpec struct {
	Name   string
	Config train.Config
	Recipe Recipe
	// Data identifies the training data (e.g. the configuration it was rendered from); it
	// enters the cache key.
	Data any
}

// EnsureTeacher trains spec on dataDir into the cache unless a finished run with the same
// configuration, recipe (hence network) and data is there, and returns the run directory and
// its result. An interrupted training of the same teacher (a checkpoint without summary.json)
// is resumed.
func EnsureTeacher(ctx context.Context, spec TeacherSpec, dataDir, cache string, be compute.Backend, progress io.Writer) (string, Result, error) {
	dir, err := TeacherDir(spec, cache)
	if err != nil {
		return "", Result{}, err
	}
	if r, err := ReadResult(dir); err == nil {
		return dir, r, nil
	}
	_, noCheckpoint := os.Stat(filepath.Join(dir, train.CheckpointFile))
	r, err := Train(ctx, RunOptions{Config: spec.Config, Recipe: spec.Recipe, DataDir: dataDir, OutDir: dir,
		Resume: noCheckpoint == nil, Backend: be, Progress: progress})
	return dir, r, err
}

// TeacherDir is the cache directory of a teacher: its name and the hash of its configuration,
// network, data and whole recipe (so that changing any weight of the recipe trains anew).
func TeacherDir(spec TeacherSpec, cache string) (string, error) {
	net, err := spec.Recipe.Net(spec.Config)
	if err != nil {
		return "", err
	}
	key, err := HashOf(spec.Config, net, spec.Data, spec.Recipe)
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "teachers", spec.Name+"-"+key), nil
}
