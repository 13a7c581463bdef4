package train

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
)

// TestCheckpointRoundTripAndDamage saves variables of several dtypes, reads them back exactly
// (with their trainable flags), and rejects truncated or foreign files with errors naming them.
func TestCheckpointRoundTripAndDamage(t *testing.T) {
	net, err := nets.MoVNect(nets.MoVNectOptions{Width: 0.25, HeadChannels: 8})
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	vals := map[string]*tensors.Tensor{
		"/a/weights":   tensors.FromValue([][]float32{{1, -2.5}, {3, 4e-30}}),
		"/global_step": tensors.FromValue(int64(42)),
		"/b/mean":      tensors.FromValue([]float64{0.1, 0.2, 0.3}),
	}
	for p, v := range vals {
		nv, err := store.CreateVariable(p, v)
		if err != nil {
			t.Fatal(err)
		}
		nv.SetTrainable(p == "/a/weights")
	}
	path := filepath.Join(t.TempDir(), "c.ckpt")
	if err := SaveCheckpoint(path, store, CheckpointInfo{Step: 42, Net: net, Loss: 0.5}); err != nil {
		t.Fatal(err)
	}
	loaded := model.NewStore()
	info, err := LoadCheckpoint(path, loaded, net)
	if err != nil {
		t.Fatal(err)
	}
	if info.Step != 42 || info.Loss != 0.5 {
		t.Errorf("info %+v", info)
	}
	for p, v := range vals {
		lv := loaded.GetVariable(p)
		if lv == nil {
			t.Fatalf("variable %s missing", p)
		}
		var want, got []byte
		v.ConstBytes(func(b []byte) { want = bytes.Clone(b) })
		lv.MustValue().ConstBytes(func(b []byte) { got = bytes.Clone(b) })
		if !bytes.Equal(got, want) || !lv.Shape().Equal(v.Shape()) || lv.Trainable != (p == "/a/weights") {
			t.Errorf("variable %s: %v (trainable %v), want %v", p, lv.MustValue(), lv.Trainable, v)
		}
	}
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated data", full[:len(full)-3], "truncated"},
		{"truncated header", full[:len(checkpointMagic)+10], "truncated"},
		{"foreign", []byte("PK\x03\x04 not a checkpoint at all"), "not a posedistill checkpoint"},
		{"empty", nil, "not a posedistill checkpoint"},
	} {
		p := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "_"), string(tc.data))
		_, err := LoadCheckpoint(p, model.NewStore(), net)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want %q naming the file", tc.name, err, tc.want)
		}
	}
}

// TestCheckpointChecksumCatchesAFlippedBit: one flipped bit in a weight, in the header or in the
// checksum itself is an error naming the file (issue 16: a damaged checkpoint loaded and predicted
// keypoints 90 px off); a checkpoint written before checksums (v1) still loads.
func TestCheckpointChecksumCatchesAFlippedBit(t *testing.T) {
	net, err := nets.MoVNect(nets.MoVNectOptions{Width: 0.25, HeadChannels: 8})
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	if _, err := store.CreateVariable("/w", tensors.FromValue([]float32{1, 2, 3, 4})); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "c.ckpt")
	if err := SaveCheckpoint(path, store, CheckpointInfo{Step: 7, Net: net, RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	weights := len(full) - 32 - 16 + 5 // inside the 16 bytes of /w
	for name, at := range map[string]int{"weight": weights, "header": len(checkpointMagic) + 8 + 10, "checksum": len(full) - 1} {
		bad := bytes.Clone(full)
		bad[at] ^= 0x04
		p := writeFile(t, dir, name+".ckpt", string(bad))
		_, err := LoadCheckpoint(p, model.NewStore(), net)
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s bit flipped: error %v, want one naming %s", name, err, p)
			continue
		}
		if name != "header" && !errors.Is(err, ErrChecksum) {
			t.Errorf("%s bit flipped: %v, want ErrChecksum", name, err)
		}
	}
	v1 := append([]byte(checkpointMagicV1), full[len(checkpointMagic):len(full)-32]...)
	p := writeFile(t, dir, "v1.ckpt", string(v1))
	info, err := LoadCheckpoint(p, model.NewStore(), net)
	if err != nil || info.Step != 7 {
		t.Errorf("v1 checkpoint: %+v, %v", info, err)
	}
}

// SaveHalfWeights keeps the network's layers only, in half precision (within float16's relative
// rounding of 2⁻¹¹), and the result loads into a float32 store like any checkpoint.
func TestSaveHalfWeightsKeepsTheNetworkAtHalfPrecision(t *testing.T) {
	net, err := nets.MoVNect(nets.MoVNectOptions{Width: 0.25, HeadChannels: 8})
	if err != nil {
		t.Fatal(err)
	}
	layer := net.Layers[1].Name
	store := model.NewStore()
	weights := []float32{1, -2.5, 0.1, 3.14159, -1e-3, 60000}
	for p, v := range map[string]*tensors.Tensor{
		"/" + layer + "/weights":                 tensors.FromValue(weights),
		"/AdamOptimizer/" + layer + "/weights_1": tensors.FromValue([]float32{7, 7, 7, 7, 7, 7}),
		"/global_step":                           tensors.FromValue(int64(42)),
	} {
		if _, err := store.CreateVariable(p, v); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	full, halved := filepath.Join(dir, "full.ckpt"), filepath.Join(dir, "half.ckpt")
	if err := SaveCheckpoint(full, store, CheckpointInfo{Step: 42, Net: net}); err != nil {
		t.Fatal(err)
	}
	if err := SaveHalfWeights(full, halved); err != nil {
		t.Fatal(err)
	}
	info, vals, err := ReadCheckpoint(halved)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 1 || info.Step != 42 || info.Vars[0].DType != "Float16" || info.Vars[0].Bytes != 2*len(weights) {
		t.Fatalf("half checkpoint holds %v (step %d): want only %s's weights, as 12 bytes of Float16", info.Vars, info.Step, layer)
	}
	loaded := model.NewStore()
	if _, err := LoadCheckpoint(halved, loaded, net); err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](loaded.GetVariable("/" + layer + "/weights").MustValue())
	for i, w := range weights {
		if d := float64(got[i] - w); d*d > float64(w*w)/(2048*2048) {
			t.Errorf("weight %d: %v, want %v within half precision", i, got[i], w)
		}
	}
}
