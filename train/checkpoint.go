package train

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/internal/half"
	"github.com/posedistill/posedistill/nets"
)

// checkpointMagic starts every checkpoint file SaveCheckpoint writes: the magic, the header's
// length (uint64, little endian), the JSON header, the variables' bytes in header order, and the
// SHA-256 of everything before it (32 bytes), which ReadCheckpoint verifies.
const checkpointMagic = "posedistill-checkpoint-v2\n"

// checkpointMagicV1 starts checkpoints written before the checksum (no trailer); they still load.
const checkpointMagicV1 = "posedistill-checkpoint-v1\n"

// ErrChecksum is wrapped by the error of a checkpoint whose content does not match its checksum.
var ErrChecksum = errors.New("checksum mismatch: the file is damaged")

// maxHeaderBytes bounds a checkpoint's JSON header.
const maxHeaderBytes = 64 << 20

// CheckpointInfo is a checkpoint's header: where the run stood and what network it holds.
type CheckpointInfo struct {
	// Step is the number of training steps taken.
	Step int `json:"step"`
	// Net is the network description the weights belong to.
	Net *nets.Net `json:"net"`
	// Loss is the training loss of the last step; Stats the last validation's COCO numbers.
	Loss float64 `json:"loss"`
	AP   float64 `json:"ap"`
	// BestAP is the best validation AP of the run so far.
	BestAP float64 `json:"best_ap"`
	// Terms names the loss terms the run trains with (a resume must give the same).
	Terms []string `json:"terms,omitempty"`
	// RunID identifies the run that wrote the checkpoint (see RunFile); a resume refuses a
	// checkpoint of another run.
	RunID string `json:"run_id,omitempty"`
	// Vars lists the stored variables in file order.
	Vars []checkpointVar `json:"vars"`
}

// checkpointVar is one variable's entry: its store path, dtype and dimensions, and byte count.
type checkpointVar struct {
	Path  string `json:"path"`
	DType string `json:"dtype"`
	Dims  []int  `json:"dims"`
	Bytes int    `json:"bytes"`
	// Trainable is false for training state (optimizer moments, counters, running statistics).
	Trainable bool `json:"trainable"`
}

// trainerMetricsScope holds the GoMLX trainer's metric state (a moving average of the loss under
// a name unique to each Trainer): not part of the model, not checkpointed.
const trainerMetricsScope = "/metrics/"

// SaveCheckpoint writes every variable of store (weights, batch-norm statistics, optimizer
// moments, step counters; not the trainer's metric state) and info to path atomically: a temporary file in the same directory,
// renamed over path once complete, so a crash leaves the previous checkpoint intact.
func SaveCheckpoint(path string, store *model.Store, info CheckpointInfo) error {
	var vars []*model.Variable
	for v := range store.IterVariables() {
		if !strings.HasPrefix(v.Path(), trainerMetricsScope) {
			vars = append(vars, v)
		}
	}
	sort.Slice(vars, func(i, j int) bool { return vars[i].Path() < vars[j].Path() })
	info.Vars = info.Vars[:0]
	blobs := make([][]byte, 0, len(vars))
	for _, v := range vars {
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("checkpoint %s: variable %s: %w", path, v.Path(), err)
		}
		var raw []byte
		if err := t.ConstBytes(func(b []byte) { raw = bytes.Clone(b) }); err != nil {
			return fmt.Errorf("checkpoint %s: variable %s: %w", path, v.Path(), err)
		}
		s := t.Shape()
		info.Vars = append(info.Vars, checkpointVar{Path: v.Path(), DType: s.DType.String(), Dims: s.Dimensions, Bytes: len(raw), Trainable: v.Trainable})
		blobs = append(blobs, raw)
	}
	return writeCheckpoint(path, info, blobs)
}

// writeCheckpoint writes info's header and the variables' bytes (blobs, in info.Vars' order)
// to path atomically, followed by their SHA-256.
func writeCheckpoint(path string, info CheckpointInfo, blobs [][]byte) error {
	header, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		h := sha256.New()
		bw := bufio.NewWriter(io.MultiWriter(w, h))
		bw.WriteString(checkpointMagic)
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
		bw.Write(n[:])
		bw.Write(header)
		for _, b := range blobs {
			if _, err := bw.Write(b); err != nil {
				return err
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		_, err := w.Write(h.Sum(nil))
		return err
	})
}

// SaveHalfWeights writes the weights of checkpoint src to dst in half precision, for sharing a
// trained model at half the size (the model zoo): only the variables of the network's layers
// (no optimizer state or counters), float32 values rounded to the nearest float16. ReadCheckpoint
// and everything that loads checkpoints widen them back to float32.
func SaveHalfWeights(src, dst string) error {
	info, vals, err := ReadCheckpoint(src)
	if err != nil {
		return err
	}
	kept := info.Vars[:0:0]
	blobs := make([][]byte, 0, len(info.Vars))
	for _, v := range info.Vars {
		if !info.Net.HasLayer(nets.LayerOf(v.Path)) {
			continue
		}
		t := vals[v.Path]
		if t.DType() != dtypes.Float32 {
			return fmt.Errorf("checkpoint %s: variable %s is %s, want float32", src, v.Path, t.DType())
		}
		f := tensors.MustCopyFlatData[float32](t)
		raw := make([]byte, 2*len(f))
		for i, x := range f {
			binary.LittleEndian.PutUint16(raw[2*i:], half.FromFloat32(x))
		}
		v.DType, v.Bytes = dtypes.Float16.String(), len(raw)
		kept = append(kept, v)
		blobs = append(blobs, raw)
	}
	if len(kept) == 0 {
		return fmt.Errorf("checkpoint %s: no variable of network %s", src, info.Net.Name)
	}
	info.Vars = kept
	if err := writeCheckpoint(dst, info, blobs); err != nil {
		return fmt.Errorf("checkpoint %s: %w", dst, err)
	}
	return nil
}

// ReadCheckpoint reads a checkpoint's header and variables.
func ReadCheckpoint(path string) (CheckpointInfo, map[string]*tensors.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return CheckpointInfo{}, nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return CheckpointInfo{}, nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	info, vals, err := decodeCheckpoint(bufio.NewReader(f), st.Size())
	if err != nil {
		return info, nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return info, vals, nil
}

// decodeCheckpoint decodes a checkpoint of size bytes from r and verifies its checksum (v1
// checkpoints have none). Sizes are checked against size before anything is allocated.
func decodeCheckpoint(r io.Reader, size int64) (CheckpointInfo, map[string]*tensors.Tensor, error) {
	var info CheckpointInfo
	magic := make([]byte, len(checkpointMagic))
	if _, err := io.ReadFull(r, magic); err != nil || (string(magic) != checkpointMagic && string(magic) != checkpointMagicV1) {
		return info, nil, fmt.Errorf("not a posedistill checkpoint")
	}
	var h hash.Hash
	if string(magic) == checkpointMagic {
		h = sha256.New()
		h.Write(magic)
		r = io.TeeReader(r, h)
		size -= sha256.Size
	}
	info, vals, err := decodeCheckpointBody(r, size)
	if err != nil || h == nil {
		return info, vals, err
	}
	sum := h.Sum(nil)
	var trailer [sha256.Size]byte
	if _, err := io.ReadFull(r, trailer[:]); err != nil {
		return info, nil, fmt.Errorf("truncated checksum: %w", err)
	}
	if !bytes.Equal(sum, trailer[:]) {
		return info, nil, fmt.Errorf("%w (content SHA-256 %s…, recorded %s…); restore it or train again", ErrChecksum, hex.EncodeToString(sum[:6]), hex.EncodeToString(trailer[:6]))
	}
	return info, vals, nil
}

// decodeCheckpointBody decodes what follows the magic: header length, header, variables.
func decodeCheckpointBody(r io.Reader, size int64) (CheckpointInfo, map[string]*tensors.Tensor, error) {
	var info CheckpointInfo
	var n [8]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return info, nil, fmt.Errorf("truncated header: %w", err)
	}
	rest := size - int64(len(checkpointMagic)) - 8
	if rest < 0 {
		return info, nil, fmt.Errorf("truncated header")
	}
	hsize := binary.LittleEndian.Uint64(n[:])
	if hsize > maxHeaderBytes || int64(hsize) > rest {
		return info, nil, fmt.Errorf("truncated header: %d bytes announced, %d in the file", hsize, rest)
	}
	header := make([]byte, hsize)
	if _, err := io.ReadFull(r, header); err != nil {
		return info, nil, fmt.Errorf("truncated header: %w", err)
	}
	rest -= int64(hsize)
	if err := json.Unmarshal(header, &info); err != nil {
		return info, nil, fmt.Errorf("header: %w", err)
	}
	if info.Net == nil {
		return info, nil, fmt.Errorf("no network description")
	}
	var total int64
	for _, v := range info.Vars {
		if v.Bytes < 0 {
			return info, nil, fmt.Errorf("variable %s: %d bytes", v.Path, v.Bytes)
		}
		total += int64(v.Bytes)
	}
	if total != rest {
		return info, nil, fmt.Errorf("truncated data: the header lists %d bytes of variables, the file holds %d", total, rest)
	}
	vals := make(map[string]*tensors.Tensor, len(info.Vars))
	for _, v := range info.Vars {
		dt, err := dtypes.DTypeString(v.DType)
		if err != nil || dt.Size() <= 0 {
			return info, nil, fmt.Errorf("variable %s: dtype %q", v.Path, v.DType)
		}
		elems := int64(1)
		for _, d := range v.Dims {
			if d < 0 || int64(d) > rest {
				return info, nil, fmt.Errorf("variable %s: dimensions %v", v.Path, v.Dims)
			}
			elems *= int64(d)
			if elems > rest {
				return info, nil, fmt.Errorf("variable %s: dimensions %v", v.Path, v.Dims)
			}
		}
		if elems*int64(dt.Size()) != int64(v.Bytes) {
			return info, nil, fmt.Errorf("variable %s: %d bytes for %s%v", v.Path, v.Bytes, v.DType, v.Dims)
		}
		if _, dup := vals[v.Path]; dup {
			return info, nil, fmt.Errorf("variable %s stored twice", v.Path)
		}
		t := tensors.FromShape(shapes.Make(dt, v.Dims...))
		var rerr error
		if err := t.MutableBytes(func(b []byte) { _, rerr = io.ReadFull(r, b) }); err != nil {
			return info, nil, fmt.Errorf("variable %s: %w", v.Path, err)
		}
		if rerr != nil {
			return info, nil, fmt.Errorf("variable %s: truncated data: %w", v.Path, rerr)
		}
		if dt == dtypes.Float16 { // half-precision weights (SaveHalfWeights) load as float32
			if t, err = widenHalf(t); err != nil {
				return info, nil, fmt.Errorf("variable %s: %w", v.Path, err)
			}
		}
		vals[v.Path] = t
	}
	return info, vals, nil
}

// widenHalf returns the float32 tensor of a float16 one.
func widenHalf(t *tensors.Tensor) (*tensors.Tensor, error) {
	out := make([]float32, t.Shape().Size())
	err := t.ConstBytes(func(b []byte) {
		for i := range out {
			out[i] = half.ToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	})
	return tensors.FromFlatDataAndDimensions(out, t.Shape().Dimensions...), err
}

// LoadCheckpoint reads path into store for net. A checkpoint of another architecture (a different
// network description) is an error that names both.
func LoadCheckpoint(path string, store *model.Store, net *nets.Net) (CheckpointInfo, error) {
	info, vals, err := ReadCheckpoint(path)
	if err != nil {
		return info, err
	}
	if err := sameNet(info.Net, net); err != nil {
		return info, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	trainable := make(map[string]bool, len(info.Vars))
	for _, v := range info.Vars {
		trainable[v.Path] = v.Trainable
	}
	for p, t := range vals {
		if v := store.GetVariable(p); v != nil {
			if !v.Shape().Equal(t.Shape()) {
				return info, fmt.Errorf("checkpoint %s: variable %s has shape %s, the model %s", path, p, t.Shape(), v.Shape())
			}
			if err := v.SetValue(t); err != nil {
				return info, fmt.Errorf("checkpoint %s: variable %s: %w", path, p, err)
			}
			continue
		}
		v, err := store.CreateVariable(p, t)
		if err != nil {
			return info, fmt.Errorf("checkpoint %s: variable %s: %w", path, p, err)
		}
		v.SetTrainable(trainable[p])
	}
	return info, nil
}

// sameNet reports whether two network descriptions are the same architecture.
func sameNet(saved, want *nets.Net) error {
	a, err1 := json.Marshal(saved)
	b, err2 := json.Marshal(want)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("cannot compare network descriptions")
	}
	if !bytes.Equal(a, b) {
		return fmt.Errorf("holds architecture %q (%d layers, %d params), the config builds %q (%d layers, %d params)",
			saved.Name, len(saved.Layers), saved.Params(), want.Name, len(want.Layers), want.Params())
	}
	return nil
}
