// Package peers holds what the tests and benchmarks that run an independent executor beside
// posedistill's own code share: npm packages installed once under the model cache (TFLite's
// WebAssembly build, TensorFlow.js, TF.js pose-detection), node scripts that report outputs and
// times, float32 files exchanged with them, and the timing helpers of the in-process ratio
// benchmarks.
// Tests skip, naming why, only where node or npm cannot provide a peer.
package peers

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/posedistill/posedistill/modelstore"
)

// NPM describes npm packages a peer needs, installed under the cache in npm/Dir.
type NPM struct {
	// Dir is the install prefix's name under the cache's npm folder.
	Dir string
	// Packages are the name@version specs to install.
	Packages []string
	// Probes are files below node_modules whose presence means the install is complete.
	Probes []string
	// Flags are extra npm install flags (e.g. --legacy-peer-deps).
	Flags []string
}

// Modules returns the node_modules directory holding the packages, installing them the first time;
// it skips the test when node is not installed or npm cannot install them.
func (p NPM) Modules(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skipf("node is not installed: no %v to compare with", p.Packages)
	}
	cache, err := modelstore.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(cache, "npm", p.Dir)
	dir := filepath.Join(prefix, "node_modules")
	complete := true
	for _, f := range p.Probes {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			complete = false
		}
	}
	if complete {
		return dir
	}
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := append([]string{"install", "--prefix", prefix, "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"}, p.Flags...)
	if out, err := exec.CommandContext(ctx, "npm", append(args, p.Packages...)...).CombinedOutput(); err != nil {
		t.Skipf("npm cannot install %v: %v: %s", p.Packages, err, lastLine(out))
	}
	return dir
}

func lastLine(b []byte) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return string(lines[len(lines)-1])
}

// Float32Bytes encodes v as little-endian float32s, the files the node scripts read.
func Float32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// ReadFloat32s reads a file of little-endian float32s, as the node scripts write them.
func ReadFloat32s(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%s: %d bytes, not float32s", path, len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// CPUTime is the process's user + system CPU time so far.
func CPUTime(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Median returns the median of v (the upper one for an even count), sorting v.
func Median(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
}

// NodeResult is what a peer's node script reports: the outputs' names and shapes and the
// per-inference wall-clock and CPU times, in milliseconds; Values are the outputs, read from the
// files the script writes.
type NodeResult struct {
	Outputs []struct {
		Name  string
		Shape []int
	}
	Ms     []float64
	CPUMs  []float64   `json:"cpuMs"`
	Values [][]float32 `json:"-"`
}

// RunNode runs the node script testdata/<script> of the calling package with args and returns
// what it reports, with the float32 outputs it wrote as <prefix>0.f32, <prefix>1.f32, ….
func RunNode(t testing.TB, script string, args []string, prefix string) *NodeResult {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("testdata", script))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", append([]string{path}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v: %s", script, err, stderr.String())
	}
	var res NodeResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%s output %q: %v", script, out, err)
	}
	for i := range res.Outputs {
		v, err := ReadFloat32s(fmt.Sprintf("%s%d.f32", prefix, i))
		if err != nil {
			t.Fatal(err)
		}
		res.Values = append(res.Values, v)
	}
	return &res
}

// Timed runs run n times and returns the medians of its wall-clock and process CPU times, in
// milliseconds: one arm of a benchmark that alternates with a peer in rounds.
func Timed(t testing.TB, n int, run func() error) (wall, cpu float64) {
	t.Helper()
	var ms, cms []float64
	for range n {
		start, c0 := time.Now(), CPUTime(t)
		if err := run(); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, float64(time.Since(start).Microseconds())/1000)
		cms = append(cms, float64((CPUTime(t)-c0).Microseconds())/1000)
	}
	return Median(ms), Median(cms)
}
