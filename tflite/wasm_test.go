package tflite

import (
	"image"
	"image/color"
	_ "image/png" // the test photo
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/posedistill/posedistill/internal/peers"
)

// tfliteWASMPackage is the independent TFLite executor: TFLite + XNNPACK compiled to WebAssembly.
const tfliteWASMPackage = "@tensorflow/tfjs-tflite@0.0.1-alpha.10"

// tfliteWASM is the independent TFLite executor's npm package.
var tfliteWASM = peers.NPM{Dir: "tfjs-tflite", Packages: []string{tfliteWASMPackage},
	Probes: []string{"@tensorflow/tfjs-tflite/wasm/tflite_web_api_cc_simd.wasm"}}

// wasmDir returns the directory of the tfjs-tflite WebAssembly files, installing the npm package
// under the cache the first time; it skips the test when node or npm cannot provide it.
func wasmDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(tfliteWASM.Modules(t), "@tensorflow", "tfjs-tflite", "wasm")
}

// runWASM runs model on input with the WebAssembly TFLite, iters times.
func runWASM(t testing.TB, dir, model string, input []float32, iters int) *peers.NodeResult {
	t.Helper()
	tmp := t.TempDir()
	in := filepath.Join(tmp, "input.f32")
	if err := os.WriteFile(in, peers.Float32Bytes(input), 0o644); err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(tmp, "out")
	return peers.RunNode(t, "tflite_wasm.js", []string{dir, model, in, prefix, strconv.Itoa(iters)}, prefix)
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
