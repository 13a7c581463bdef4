package train

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
)

// FuzzReadCheckpoint feeds arbitrary bytes (seeded with a valid checkpoint and its truncations)
// to the checkpoint decoder: it must return an error or a checkpoint, never panic or allocate without
// bound.
func FuzzReadCheckpoint(f *testing.F) {
	net, err := nets.MoVNect(nets.MoVNectOptions{Width: 0.25, HeadChannels: 8})
	if err != nil {
		f.Fatal(err)
	}
	store := model.NewStore()
	if _, err := store.CreateVariable("/w", tensors.FromValue([]float32{1, 2, 3})); err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.ckpt")
	if err := SaveCheckpoint(path, store, CheckpointInfo{Step: 1, Net: net}); err != nil {
		f.Fatal(err)
	}
	valid, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(append([]byte(checkpointMagicV1), valid[len(checkpointMagic):len(valid)-32]...))
	f.Add([]byte(checkpointMagic))
	f.Add([]byte(checkpointMagic + "\x10\x00\x00\x00\x00\x00\x00\x00{\"net\":{},\"vars\":[]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, vals, err := decodeCheckpoint(bytes.NewReader(data), int64(len(data)))
		if err == nil && len(vals) != len(info.Vars) {
			t.Fatalf("%d variables decoded, %d listed", len(vals), len(info.Vars))
		}
	})
}

// FuzzParseConfig feeds arbitrary YAML and JSON to the experiment config parser (seeded with the
// shipped configs): it must return an error or a config that validates and survives a JSON round
// trip (what config.json stores), never panic.
func FuzzParseConfig(f *testing.F) {
	paths, _ := filepath.Glob("../configs/*.yaml")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, false)
		}
	}
	f.Add([]byte("model: {arch: movnect, width: 0.5}\nlr: .inf\n"), false)
	f.Add([]byte(`{"model": {"arch": "movnect"}, "steps": 3}`), true)
	f.Add([]byte("model: &a {arch: movnect}\naugment: *a\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		cfg, err := ParseConfig(data, isJSON)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted config does not validate: %v", err)
		}
		b, err := json.Marshal(cfg)
		if err != nil {
			t.Fatalf("accepted config does not marshal: %v", err)
		}
		back, err := ParseConfig(b, true)
		if err != nil {
			t.Fatalf("config.json of an accepted config is refused: %v\n%s", err, b)
		}
		if len(ConfigChanges(cfg, back)) != 0 || back.Steps != cfg.Steps {
			t.Fatalf("round trip changed %v", ConfigChanges(cfg, back))
		}
	})
}
