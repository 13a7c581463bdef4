package export

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// randomTensors returns tensors of several dtypes and shapes (a scalar and an empty one included).
func randomTensors(seed uint64) []Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	var list []Tensor
	for i, spec := range []struct {
		dtype string
		shape []int
	}{{"F32", []int{3, 4}}, {"F16", []int{5}}, {"I8", []int{2, 2, 2}}, {"U8", []int{7}}, {"I64", []int{}}, {"F32", []int{0, 3}}, {"F64", []int{2, 1}}} {
		n, _ := elements(spec.shape)
		data := make([]byte, n*dtypeSizes[spec.dtype])
		for j := range data {
			data[j] = byte(r.IntN(256))
		}
		if spec.dtype == "F32" {
			for j := 0; j < len(data); j += 4 { // finite floats, for the numpy sum
				binary.LittleEndian.PutUint32(data[j:], math.Float32bits(r.Float32()*10-5))
			}
		}
		if spec.dtype == "F16" || spec.dtype == "F64" {
			for j := range data {
				data[j] &= 0x3b // keep exponents small: finite values
			}
		}
		list = append(list, Tensor{Name: string(rune('a'+i)) + "/t", DType: spec.dtype, Shape: spec.shape, Data: data})
	}
	return list
}

func TestSafetensorsRoundTrip(t *testing.T) {
	list := randomTensors(1)
	meta := map[string]string{"format": "pt", "net": "allops"}
	var buf bytes.Buffer
	if err := EncodeSafetensors(&buf, list, meta); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if n := binary.LittleEndian.Uint64(b); (8+n)%8 != 0 {
		t.Errorf("data starts at byte %d, not 8-aligned", 8+n)
	}
	got, gotMeta, err := DecodeSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(list) || gotMeta["net"] != "allops" || gotMeta["format"] != "pt" {
		t.Fatalf("got %d tensors, metadata %v", len(got), gotMeta)
	}
	byName := map[string]Tensor{}
	for _, g := range got {
		byName[g.Name] = g
	}
	for _, w := range list {
		g := byName[w.Name]
		if g.DType != w.DType || !slices.Equal(g.Shape, w.Shape) || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("%s: got %s%v (%d bytes), want %s%v (%d bytes)", w.Name, g.DType, g.Shape, len(g.Data), w.DType, w.Shape, len(w.Data))
		}
	}
	// Order of the input does not change the bytes.
	var again bytes.Buffer
	rev := slices.Clone(list)
	slices.Reverse(rev)
	if err := EncodeSafetensors(&again, rev, meta); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), b) {
		t.Error("encoding depends on the order of the tensors")
	}
}

// TestSafetensorsPython reads the file with an independent reader (numpy, plus the safetensors package
// when installed) under /usr/bin/python3.
func TestSafetensorsPython(t *testing.T) {
	if exec.Command("/usr/bin/python3", "-c", "import numpy").Run() != nil {
		t.Skip("/usr/bin/python3 with numpy is not available")
	}
	list := randomTensors(2)
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := WriteSafetensors(path, list, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", filepath.Join("testdata", "read_safetensors.py"), path).Output()
	if err != nil {
		t.Fatalf("read_safetensors.py: %v", err)
	}
	var res struct {
		Tensors  map[string][3]json.RawMessage
		Metadata map[string]string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if res.Metadata["k"] != "v" || len(res.Tensors) != len(list) {
		t.Fatalf("python read %s", out)
	}
	for _, w := range list {
		e, ok := res.Tensors[w.Name]
		if !ok {
			t.Fatalf("python misses %s", w.Name)
		}
		var dtype string
		var shape []int
		var sum float64
		_ = json.Unmarshal(e[0], &dtype)
		_ = json.Unmarshal(e[1], &shape)
		_ = json.Unmarshal(e[2], &sum)
		if dtype != w.DType || !slices.Equal(shape, w.Shape) && !(len(shape) == 0 && len(w.Shape) == 0) {
			t.Errorf("%s: python sees %s%v, want %s%v", w.Name, dtype, shape, w.DType, w.Shape)
		}
		if w.DType == "F32" {
			v, _ := w.Float32s()
			var want float64
			for _, x := range v {
				want += float64(x)
			}
			if math.Abs(sum-want) > 1e-9*max(1, math.Abs(want)) {
				t.Errorf("%s: python sum %g, want %g", w.Name, sum, want)
			}
		}
	}
}

// TestSafetensorsStore saves a network's store and loads it into an empty store: the predictions are
// bit-identical.
func TestSafetensorsStore(t *testing.T) {
	backend := goBackend(t)
	net := allOpsNet()
	store := randomStore(t, backend, net, 4)
	list, err := StoreTensors(store)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := WriteSafetensors(path, list, nil); err != nil {
		t.Fatal(err)
	}
	read, _, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	loaded := model.NewStore()
	if err := LoadStoreTensors(loaded, read); err != nil {
		t.Fatal(err)
	}
	if loaded.NumVariables() != store.NumVariables() {
		t.Fatalf("%d variables loaded, want %d", loaded.NumVariables(), store.NumVariables())
	}
	images := randomImages(9, 1, 16, 16, 3)
	want := predict(t, backend, net, store, images)
	got := predict(t, backend, net, loaded, images)
	for head := range want {
		if !slices.Equal(tensors.MustCopyFlatData[float32](got[head]), tensors.MustCopyFlatData[float32](want[head])) {
			t.Errorf("%s differs after the round trip", head)
		}
	}
	// A shape mismatch is an error.
	bad := slices.Clone(read)
	for i := range bad {
		if bad[i].Name == "stem/weights" {
			bad[i] = Float32Tensor("stem/weights", make([]float32, 4), 2, 2)
		}
	}
	if err := LoadStoreTensors(loaded, bad); err == nil {
		t.Error("loading a tensor of the wrong shape: no error")
	}
}

func TestDecodeSafetensorsErrors(t *testing.T) {
	valid := func() []byte {
		var buf bytes.Buffer
		_ = EncodeSafetensors(&buf, []Tensor{Float32Tensor("a", []float32{1, 2}, 2), Float32Tensor("b", []float32{3}, 1)}, nil)
		return buf.Bytes()
	}
	header := func(js string, data int) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
		return append(append(b, js...), make([]byte, data)...)
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short", []byte{1, 2, 3}},
		{"header too long", binary.LittleEndian.AppendUint64(nil, 1<<40)},
		{"not json", header("{nope", 0)},
		{"trailing bytes", header(`{}x`, 0)},
		{"unknown dtype", header(`{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}}`, 1)},
		{"size mismatch", header(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4)},
		{"out of range", header(`{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}`, 4)},
		{"gap", header(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}`, 4)},
		{"overlap", header(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, 3)},
		{"uncovered", header(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}`, 3)},
		{"negative dim", header(`{"a":{"dtype":"U8","shape":[-2],"data_offsets":[0,0]}}`, 0)},
		{"truncated", valid()[:len(valid())-1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := DecodeSafetensors(tc.b); err == nil {
				t.Fatal("no error")
			}
		})
	}
	if _, _, err := DecodeSafetensors(valid()); err != nil {
		t.Fatalf("valid file: %v", err)
	}
	if _, _, err := ReadSafetensors(filepath.Join(t.TempDir(), "missing")); err == nil || !os.IsNotExist(errUnwrapAll(err)) {
		t.Errorf("missing file: %v", err)
	}
	if err := EncodeSafetensors(&bytes.Buffer{}, []Tensor{{Name: "x", DType: "F32", Shape: []int{2}, Data: []byte{1}}}, nil); err == nil {
		t.Error("encoding inconsistent data: no error")
	}
	if err := EncodeSafetensors(&bytes.Buffer{}, []Tensor{Float32Tensor("x", nil, 0), Float32Tensor("x", nil, 0)}, nil); err == nil {
		t.Error("encoding duplicate names: no error")
	}
}

func errUnwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

// FuzzDecodeSafetensors checks that arbitrary bytes never panic the decoder and that whatever decodes
// encodes back to a file that decodes to the same tensors.
func FuzzDecodeSafetensors(f *testing.F) {
	var buf bytes.Buffer
	_ = EncodeSafetensors(&buf, randomTensors(3), map[string]string{"a": "b"})
	f.Add(buf.Bytes())
	f.Add([]byte{})
	f.Add(binary.LittleEndian.AppendUint64(nil, 2))
	f.Fuzz(func(t *testing.T, b []byte) {
		list, meta, err := DecodeSafetensors(b)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := EncodeSafetensors(&out, list, meta); err != nil {
			t.Fatalf("re-encoding decoded tensors: %v", err)
		}
		again, _, err := DecodeSafetensors(out.Bytes())
		if err != nil || len(again) != len(list) {
			t.Fatalf("re-decoding: %v (%d vs %d tensors)", err, len(again), len(list))
		}
	})
}
