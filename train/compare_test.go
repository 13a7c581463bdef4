package train

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
)

// TestCompareCheckpoints tells identical checkpoints from ones that differ in a step, a value, a
// shape or a variable, naming the variable.
func TestCompareCheckpoints(t *testing.T) {
	net, err := nets.MoVNect(nets.MoVNectOptions{Width: 0.25, HeadChannels: 8})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	save := func(name string, step int, vars map[string]any) string {
		t.Helper()
		store := model.NewStore()
		for p, v := range vars {
			tv, err := tensors.FromAnyValue(v)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.CreateVariable(p, tv); err != nil {
				t.Fatal(err)
			}
		}
		path := filepath.Join(dir, name)
		if err := SaveCheckpoint(path, store, CheckpointInfo{Step: step, Net: net}); err != nil {
			t.Fatal(err)
		}
		return path
	}
	base := save("base", 3, map[string]any{"/a/w": []float32{1, 2}, "/b/w": []float32{3}})
	for _, tc := range []struct {
		name string
		path string
		want string // "" : no difference
	}{
		{"same", save("same", 3, map[string]any{"/a/w": []float32{1, 2}, "/b/w": []float32{3}}), ""},
		{"step", save("step", 4, map[string]any{"/a/w": []float32{1, 2}, "/b/w": []float32{3}}), "step 4"},
		{"value", save("value", 3, map[string]any{"/a/w": []float32{1, 2.0000002}, "/b/w": []float32{3}}), "/a/w differs"},
		{"shape", save("shape", 3, map[string]any{"/a/w": []float32{1, 2}, "/b/w": []float32{3, 3}}), "/b/w: shape"},
		{"missing", save("missing", 3, map[string]any{"/a/w": []float32{1, 2}}), "/b/w is in"},
		{"extra", save("extra", 3, map[string]any{"/a/w": []float32{1, 2}, "/b/w": []float32{3}, "/c/w": []float32{0}}), "/c/w is in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CompareCheckpoints(base, tc.path)
			if tc.want == "" && err != nil {
				t.Fatalf("identical checkpoints: %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
