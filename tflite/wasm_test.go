package tflite

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	_ "image/png" // the test photo
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/posedistill/posedistill/modelstore"
)

// tfliteWASMPackage is the independent TFLite executor: TFLite + XNNPACK compiled to WebAssembly.
const tfliteWASMPackage = "@tensorflow/tfjs-tflite@0.0.1-alpha.10"

// wasmDir returns the directory of the tfjs-tflite WebAssembly files, installing the npm package
// under the cache the first time; it skips the test when node or npm cannot provide it.
func wasmDir(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: no independent TFLite executor")
	}
	cache, err := modelstore.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(cache, "npm", "tfjs-tflite")
	dir := filepath.Join(prefix, "node_modules", "@tensorflow", "tfjs-tflite", "wasm")
	if _, err := os.Stat(filepath.Join(dir, "tflite_web_api_cc_simd.wasm")); err == nil {
		return dir
	}
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", prefix, "--no-audit", "--no-fund",
		"--ignore-scripts", "--loglevel=error", tfliteWASMPackage)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("npm cannot install %s: %v: %s", tfliteWASMPackage, err, lastLine(out))
	}
	return dir
}

func lastLine(b []byte) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return string(lines[len(lines)-1])
}

// wasmResult is what testdata/tflite_wasm.js reports.
type wasmResult struct {
	Outputs []struct {
		Name  string
		Shape []int
	}
	Ms      []float64
	CPUMs   []float64   `json:"cpuMs"`
	Values  [][]float32 `json:"-"`
	Elapsed time.Duration
}

// runWASM runs model on input with the WebAssembly TFLite, iters times.
func runWASM(t testing.TB, dir, model string, input []float32, iters int) *wasmResult {
	t.Helper()
	tmp := t.TempDir()
	in := filepath.Join(tmp, "input.f32")
	if err := os.WriteFile(in, floatsToBytes(input), 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "tflite_wasm.js"))
	if err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(tmp, "out")
	cmd := exec.Command("node", script, dir, model, in, prefix, strconv.Itoa(iters))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tflite_wasm.js: %v: %s", err, stderr.String())
	}
	var res wasmResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("tflite_wasm.js output %q: %v", out, err)
	}
	for i := range res.Outputs {
		b, err := os.ReadFile(fmt.Sprintf("%s%d.f32", prefix, i))
		if err != nil {
			t.Fatal(err)
		}
		res.Values = append(res.Values, bytesToFloats(b))
	}
	return &res
}

func floatsToBytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func bytesToFloats(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// personCrop returns a size×size RGB crop in [0, 1] around the left person of OpenCV's
// basketball1.png sample (Debian opencv-doc), sampled bilinearly, zero outside the photo.
func personCrop(t testing.TB, size int) []float32 {
	t.Helper()
	const photo = "/usr/share/doc/opencv-doc/examples/data/basketball1.png"
	f, err := os.Open(photo)
	if err != nil {
		t.Skipf("test photo absent (Debian package opencv-doc): %v", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", photo, err)
	}
	const x0, y0, side = -110.0, 70.0, 420.0 // square around the person at x 30–170, y 80–480
	b := img.Bounds()
	at := func(x, y int) float32 {
		if x < b.Min.X || y < b.Min.Y || x >= b.Max.X || y >= b.Max.Y {
			return 0
		}
		return float32(color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y) / 255
	}
	out := make([]float32, size*size*3)
	for r := 0; r < size; r++ {
		for c := 0; c < size; c++ {
			sx := x0 + (float64(c)+0.5)*side/float64(size) - 0.5
			sy := y0 + (float64(r)+0.5)*side/float64(size) - 0.5
			fx, fy := math.Floor(sx), math.Floor(sy)
			ax, ay := float32(sx-fx), float32(sy-fy)
			ix, iy := int(fx), int(fy)
			v := (1-ay)*((1-ax)*at(ix, iy)+ax*at(ix+1, iy)) + ay*((1-ax)*at(ix, iy+1)+ax*at(ix+1, iy+1))
			for ch := 0; ch < 3; ch++ {
				out[(r*size+c)*3+ch] = v
			}
		}
	}
	return out
}
