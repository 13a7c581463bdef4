package distill

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/topdown"
)

// DiskCached wraps a teacher with a content-addressed disk cache: the key is the SHA-256 of the
// teacher's ID, the requested heatmap size and the crops' bytes, so a fixed augmentation stream
// (same data, seed and batch size: every variant of an ablation that shares a seed) computes
// each teacher output once and reads it back afterwards.
type DiskCached struct {
	// ID names the teacher's weights (e.g. its run directory and checkpoint step).
	ID      string
	Dir     string
	Teacher Teacher
	// Hits and Misses count lookups.
	Hits, Misses int
}

// Close closes the wrapped teacher.
func (c *DiskCached) Close() { c.Teacher.Close() }

// key returns the cache file name for a batch.
func (c *DiskCached) key(images topdown.Tensor, heatH, heatW int) string {
	h := sha256.New()
	h.Write([]byte(c.ID))
	var b [8]byte
	for _, v := range append(append([]int{heatH, heatW}, images.Shape...), -1) {
		binary.LittleEndian.PutUint64(b[:], uint64(int64(v)))
		h.Write(b[:])
	}
	buf := make([]byte, 4*len(images.Data))
	for i, v := range images.Data {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	h.Write(buf)
	s := hex.EncodeToString(h.Sum(nil))
	return filepath.Join(c.Dir, s[:2], s+".bin")
}

// Predict returns the cached outputs of the crops, computing and storing them on a miss.
func (c *DiskCached) Predict(ctx context.Context, images topdown.Tensor, heatH, heatW int) (TeacherOutput, error) {
	path := c.key(images, heatH, heatW)
	if b, err := os.ReadFile(path); err == nil {
		if out, err := decodeOutput(b); err == nil {
			c.Hits++
			return out, nil
		}
	}
	c.Misses++
	out, err := c.Teacher.Predict(ctx, images, heatH, heatW)
	if err != nil {
		return out, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return out, fmt.Errorf("teacher cache: %w", err)
	}
	return out, atomicfile.WriteBytes(path, encodeOutput(out))
}

// encodeOutput stores the three arrays as a length (uint64) and little-endian float32 values each.
func encodeOutput(o TeacherOutput) []byte {
	var b []byte
	for _, a := range [][]float32{o.Heatmaps, o.Locations, o.Mask} {
		b = binary.LittleEndian.AppendUint64(b, uint64(len(a)))
		for _, v := range a {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	}
	return b
}

// decodeOutput reads encodeOutput's format, checking every length against the data.
func decodeOutput(b []byte) (TeacherOutput, error) {
	var arrs [3][]float32
	for i := range arrs {
		if len(b) < 8 {
			return TeacherOutput{}, fmt.Errorf("teacher cache: truncated entry")
		}
		n := binary.LittleEndian.Uint64(b)
		b = b[8:]
		if n > uint64(len(b)/4) {
			return TeacherOutput{}, fmt.Errorf("teacher cache: entry claims %d values, has %d bytes", n, len(b))
		}
		if n > 0 {
			a := make([]float32, n)
			for j := range a {
				a[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
			}
			arrs[i] = a
		}
		b = b[4*n:]
	}
	if len(b) != 0 {
		return TeacherOutput{}, fmt.Errorf("teacher cache: %d trailing bytes", len(b))
	}
	return TeacherOutput{Heatmaps: arrs[0], Locations: arrs[1], Mask: arrs[2]}, nil
}
