package train

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestSnapshotStoreKeepsItsValues checks that a snapshot holds the variables' values, parameters
// and trainability at the time it was taken, whatever happens to the store afterwards.
func TestSnapshotStoreKeepsItsValues(t *testing.T) {
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(7))
	w, err := store.CreateVariable("/net/w", tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4}, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	m, err := store.CreateVariable("/net/bn/mean", tensors.FromFlatDataAndDimensions([]float32{5}, 1))
	if err != nil {
		t.Fatal(err)
	}
	m.SetTrainable(false)
	snap, err := snapshotStore(store)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SetValue(tensors.FromFlatDataAndDimensions([]float32{9, 9, 9, 9}, 2, 2)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path      string
		want      []float32
		trainable bool
	}{{"/net/w", []float32{1, 2, 3, 4}, true}, {"/net/bn/mean", []float32{5}, false}} {
		v := snap.GetVariable(tc.path)
		if v == nil {
			t.Fatalf("%s missing from the snapshot", tc.path)
		}
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		if got := tensors.MustCopyFlatData[float32](val); !slices.Equal(got, tc.want) || v.Trainable != tc.trainable {
			t.Errorf("%s: %v trainable %v, want %v trainable %v", tc.path, got, v.Trainable, tc.want, tc.trainable)
		}
	}
	if seed, ok := snap.GetParam(model.ParamInitialSeed); !ok || seed != int64(7) {
		t.Errorf("seed parameter %v (%v), want 7", seed, ok)
	}
}
