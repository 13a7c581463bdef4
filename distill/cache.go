package distill

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"io"
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

// fileDigest returns the hex SHA-256 of the files' contents, in order.
func fileDigest(paths ...string) (string, error) {
	h := sha256.New()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return "", fmt.Errorf("digest: %w", err)
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("digest %s: %w", p, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// RecordCache stores what region teachers (RegionTeacher) say about each person, on disk under
// Dir: one file per teacher ID, image content (SHA-256 of the file), person box and crop
// geometry (aspect and padding), holding the teacher's Record of the un-augmented crop. Training
// reads the records and warps them to each augmented crop (Render), so each teacher runs once
// per person, whatever the number of steps, seeds and variants; a later run on the same images
// with the same teacher reuses them.
type RecordCache struct {
	Dir string
	// Hits and Misses count lookups.
	Hits, Misses int
	// digests memoises image file digests by path.
	digests map[string]string
}

// recordFormat opens every record file (a change of the record's layout changes it).
const recordFormat = "posedistill-teacher-record-v1\n"

// recordKey is the cache file of a person.
func (c *RecordCache) recordKey(teacherID, imageDigest string, box [4]float64, aspect, padding float64) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%s|%v|%v|%v", CacheVersion, teacherID, imageDigest, box, aspect, padding)
	s := hex.EncodeToString(h.Sum(nil))
	return filepath.Join(c.Dir, "records", s[:2], s+".gob")
}

// imageDigest returns the SHA-256 of an image file, memoised.
func (c *RecordCache) imageDigest(path string) (string, error) {
	if d, ok := c.digests[path]; ok {
		return d, nil
	}
	d, err := fileDigest(path)
	if err != nil {
		return "", err
	}
	if c.digests == nil {
		c.digests = map[string]string{}
	}
	c.digests[path] = d
	return d, nil
}

// load reads a record file; ok is false when it is missing or unreadable (it is then recomputed).
func (c *RecordCache) load(path string) (Record, bool) {
	var r Record
	b, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(b, []byte(recordFormat)) {
		return r, false
	}
	if err := gob.NewDecoder(bytes.NewReader(b[len(recordFormat):])).Decode(&r); err != nil {
		return r, false
	}
	return r, true
}

// store writes a record file atomically.
func (c *RecordCache) store(path string, r Record) error {
	var buf bytes.Buffer
	buf.WriteString(recordFormat)
	if err := gob.NewEncoder(&buf).Encode(r); err != nil {
		return fmt.Errorf("teacher record cache: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("teacher record cache: %w", err)
	}
	return atomicfile.WriteBytes(path, buf.Bytes())
}
