package tfjs

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/posedistill/posedistill/internal/peers"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
)

// tfjsPackages are the reference executors: TensorFlow.js itself, with its CPU and WebAssembly
// backends.
var tfjsPackages = []string{"@tensorflow/tfjs@4.22.0", "@tensorflow/tfjs-backend-wasm@4.22.0"}

// tfjsModules returns the node_modules directory holding TensorFlow.js 4.22, installing the npm
// packages under the cache the first time; it skips the test when node or npm cannot provide them.
func tfjsModules(t testing.TB) string {
	t.Helper()
	return peers.NPM{Dir: "tfjs-4.22", Packages: tfjsPackages, Probes: []string{
		"@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm", "@tensorflow/tfjs/package.json"}}.Modules(t)
}

// moveNetFile returns the path of a MoveNet file in the cache, fetching the pack when needed; it
// skips the test when npm cannot fetch it.
func moveNetFile(t testing.TB, name string) string {
	t.Helper()
	return modelstore.MoveNetPath(testkit.MoveNetCache(t), name)
}

// runTFJS runs the model at modelJSON with TensorFlow.js (backend "cpu" or "wasm") on an h×w×3
// int32 image, iters times.
func runTFJS(t testing.TB, modules, modelJSON string, img []int32, h, w int, backend string, iters int) *peers.NodeResult {
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
	prefix := filepath.Join(tmp, "out")
	return peers.RunNode(t, "tfjs_run.js", []string{modules, modelJSON, in, strconv.Itoa(h), strconv.Itoa(w), backend, strconv.Itoa(iters), prefix}, prefix)
}
