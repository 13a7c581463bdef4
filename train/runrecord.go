package train

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/posedistill/posedistill/atomicfile"
)

// RunFile records who started a run and on what: its id (every checkpoint carries it), the
// dataset's fingerprint and the start time. A resume compares them with what it is given.
const RunFile = "run.json"

// runMarkers are the files whose presence means a folder holds a run.
var runMarkers = []string{RunFile, ConfigFile, NetFile, CheckpointFile}

// runFiles are the files a run writes, removed (the checkpoint first) when a run starts afresh
// in a folder, so that nothing of an earlier run can mix with the new one.
var runFiles = []string{CheckpointFile, BestFile, RunFile, ConfigFile, NetFile, MetricsFile, ValResultsFile, CurvesFile}

// runRecord is the content of RunFile.
type runRecord struct {
	ID      string        `json:"id"`
	Started time.Time     `json:"started"`
	Dataset datasetRecord `json:"dataset"`
}

// datasetRecord identifies a dataset by the content of its split files.
type datasetRecord struct {
	Dir         string `json:"dir"`
	TrainSHA256 string `json:"train_sha256"`
	ValSHA256   string `json:"val_sha256"`
}

// fingerprintDataset hashes dir's train.json and val.json.
func fingerprintDataset(dir string) (datasetRecord, error) {
	rec := datasetRecord{Dir: dir}
	if abs, err := filepath.Abs(dir); err == nil {
		rec.Dir = abs
	}
	for _, f := range []struct {
		name string
		sum  *string
	}{{"train.json", &rec.TrainSHA256}, {"val.json", &rec.ValSHA256}} {
		fh, err := os.Open(filepath.Join(dir, f.name))
		if err != nil {
			return rec, fmt.Errorf("dataset: %w", err)
		}
		h := sha256.New()
		_, err = io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return rec, fmt.Errorf("dataset %s: %w", filepath.Join(dir, f.name), err)
		}
		*f.sum = hex.EncodeToString(h.Sum(nil))
	}
	return rec, nil
}

// newRunID returns a random run id.
func newRunID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// readRunRecord reads a run's RunFile; a run from before RunFile existed gives ok false.
func readRunRecord(dir string) (rec runRecord, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, RunFile))
	if errors.Is(err, os.ErrNotExist) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	if err := json.Unmarshal(b, &rec); err != nil || rec.ID == "" {
		return rec, false, fmt.Errorf("read %s: not a run record", filepath.Join(dir, RunFile))
	}
	return rec, true, nil
}

// clearRun removes the files of an earlier run from dir, the checkpoint first, and syncs dir.
func clearRun(dir string) error {
	for _, f := range runFiles {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("clear run %s: %w", dir, err)
		}
	}
	return atomicfile.SyncDir(dir)
}

// resumableKeys are the config keys a resume may change: they decide how long and where a run
// goes, not what it computes at each step.
var resumableKeys = map[string]bool{
	"name": true, "steps": true, "workers": true, "backend": true, "validate_every": true, "checkpoint_every": true,
}

// ConfigChanges lists the keys (dotted JSON names) whose values differ between two configs,
// with both values, ignoring the ones a resume may change.
func ConfigChanges(saved, given Config) []string {
	a, b := configMap(saved), configMap(given)
	var out []string
	for k, va := range a {
		if resumableKeys[strings.SplitN(k, ".", 2)[0]] {
			continue
		}
		if vb := b[k]; !reflect.DeepEqual(va, vb) {
			out = append(out, fmt.Sprintf("%s: %v in the run, %v now", k, show(va), show(vb)))
		}
	}
	for k, vb := range b {
		if _, ok := a[k]; !ok && !resumableKeys[strings.SplitN(k, ".", 2)[0]] {
			out = append(out, fmt.Sprintf("%s: unset in the run, %v now", k, show(vb)))
		}
	}
	sort.Strings(out)
	return out
}

func show(v any) string {
	if v == nil {
		return "unset"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// configMap flattens a config to dotted JSON keys.
func configMap(c Config) map[string]any {
	b, _ := json.Marshal(c)
	var m map[string]any
	json.Unmarshal(b, &m)
	out := map[string]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if mm, ok := v.(map[string]any); ok {
			for k, x := range mm {
				walk(prefix+k+".", x)
			}
			return
		}
		out[strings.TrimSuffix(prefix, ".")] = v
	}
	walk("", m)
	return out
}

// checkResume compares a run folder's record and config with a resume's checkpoint, config and
// dataset, and returns the run id to keep writing checkpoints under.
func checkResume(dir string, info CheckpointInfo, cfg Config, ds datasetRecord) (string, error) {
	rec, ok, err := readRunRecord(dir)
	if err != nil {
		return "", fmt.Errorf("resume: %w", err)
	}
	if ok {
		if info.RunID != rec.ID {
			return "", fmt.Errorf("resume %s: the checkpoint belongs to another run (run id %q, the folder's run is %q): the folder mixes two runs; start again with --overwrite", dir, info.RunID, rec.ID)
		}
		if rec.Dataset.TrainSHA256 != ds.TrainSHA256 || rec.Dataset.ValSHA256 != ds.ValSHA256 {
			return "", fmt.Errorf("resume %s: the run trained on %s (train.json %.12s…, val.json %.12s…), --data %s differs (train.json %.12s…, val.json %.12s…): resume with the run's dataset",
				dir, rec.Dataset.Dir, rec.Dataset.TrainSHA256, rec.Dataset.ValSHA256, ds.Dir, ds.TrainSHA256, ds.ValSHA256)
		}
	}
	saved, err := ReadRunConfig(dir)
	if err != nil {
		return "", fmt.Errorf("resume: %w", err)
	}
	if saved.Model.File != "" && cfg.Model.File != "" {
		// A resume trains the run's own net.json (ReadRunConfig points model.file at it), which
		// the checkpoint's network description is checked against: where the file was named from
		// does not matter.
		cfg.Model.File = saved.Model.File
	}
	if ch := ConfigChanges(saved, cfg); len(ch) > 0 {
		return "", fmt.Errorf("resume %s: the config differs from the run's (%s); only steps, validate_every, checkpoint_every, workers and backend may change", dir, strings.Join(ch, "; "))
	}
	return info.RunID, nil
}
