package tfjs

import (
	"context"
	"image"
	"math"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
)

// photo is the real photo the models are checked on (Debian package opencv-doc).
const photo = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg"

// photoInput returns photo letterboxed (centred, zero-padded) into an h×w int32 RGB image,
// sampled bilinearly; it skips the test when the photo is absent.
func photoInput(t testing.TB, h, w int) []int32 {
	t.Helper()
	return letterbox(testkit.Photo(t, photo), h, w)
}

func letterbox(img image.Image, h, w int) []int32 {
	b := img.Bounds()
	scale := math.Min(float64(h)/float64(b.Dy()), float64(w)/float64(b.Dx()))
	oy := (float64(h) - scale*float64(b.Dy())) / 2
	ox := (float64(w) - scale*float64(b.Dx())) / 2
	at := func(x, y int) [3]float64 {
		if x < 0 || y < 0 || x >= b.Dx() || y >= b.Dy() {
			return [3]float64{}
		}
		r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
		return [3]float64{float64(r >> 8), float64(g >> 8), float64(bl >> 8)}
	}
	out := make([]int32, h*w*3)
	for r := range h {
		for c := range w {
			sy, sx := (float64(r)+0.5-oy)/scale-0.5, (float64(c)+0.5-ox)/scale-0.5
			if sy < -0.5 || sx < -0.5 || sy > float64(b.Dy())-0.5 || sx > float64(b.Dx())-0.5 {
				continue
			}
			fy, fx := math.Floor(sy), math.Floor(sx)
			ay, ax := sy-fy, sx-fx
			iy, ix := int(fy), int(fx)
			p00, p01, p10, p11 := at(ix, iy), at(ix+1, iy), at(ix, iy+1), at(ix+1, iy+1)
			for ch := range 3 {
				v := (1-ay)*((1-ax)*p00[ch]+ax*p01[ch]) + ay*((1-ax)*p10[ch]+ax*p11[ch])
				out[(r*w+c)*3+ch] = int32(v)
			}
		}
	}
	return out
}

// loadGraph reads a MoveNet model of the cache into a Graph.
func loadGraph(t testing.TB, name string) (string, *Graph) {
	t.Helper()
	path := moveNetFile(t, name)
	m, w, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGraph(m, w)
	if err != nil {
		t.Fatal(err)
	}
	return path, g
}

func goRunner(t testing.TB, g *Graph) *Runner {
	t.Helper()
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(be, g)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func maxAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// agreementCases are the models and input sizes checked against TensorFlow.js: the single-pose
// models at their input size, MultiPose square and (its shapes computed from the input's) not.
var agreementCases = []struct {
	model string
	h, w  int
}{
	{modelstore.MoveNetLightning, 192, 192},
	{modelstore.MoveNetThunder, 256, 256},
	{modelstore.MoveNetMultiPose, 256, 256},
	{modelstore.MoveNetMultiPose, 160, 256},
}

// agreementTolerance bounds the largest absolute difference of any output value (normalized
// coordinates and scores in [0, 1], box corners) from TensorFlow.js: float32 rounding, differently
// ordered sums. TensorFlow.js's own CPU and WebAssembly backends differ by about as much.
const agreementTolerance = 2e-5

// TestAgreesWithTFJS runs the three MoveNet models on a real photo with this package and with
// TensorFlow.js 4.22 itself (CPU and WebAssembly backends, in Node) and compares all outputs.
func TestAgreesWithTFJS(t *testing.T) {
	mods := tfjsModules(t)
	for _, tc := range agreementCases {
		path, g := loadGraph(t, tc.model)
		img := photoInput(t, tc.h, tc.w)
		outs, err := goRunner(t, g).Run(context.Background(), tensors.FromFlatDataAndDimensions(img, 1, tc.h, tc.w, 3))
		if err != nil {
			t.Fatal(err)
		}
		cpu := runTFJS(t, mods, path, img, tc.h, tc.w, "cpu", 1)
		wasm := runTFJS(t, mods, path, img, tc.h, tc.w, "wasm", 1)
		if len(cpu.Values) != 1 || len(wasm.Values) != 1 || len(outs) != 1 {
			t.Fatalf("%s: %d, %d and %d outputs", tc.model, len(outs), len(cpu.Values), len(wasm.Values))
		}
		if !slices.Equal(outs[0].Shape, cpu.Outputs[0].Shape) || len(outs[0].Values) != len(cpu.Values[0]) {
			t.Fatalf("%s: shape %v, TF.js %v", tc.model, outs[0].Shape, cpu.Outputs[0].Shape)
		}
		dCPU, dWASM, dTF := maxAbsDiff(outs[0].Values, cpu.Values[0]), maxAbsDiff(outs[0].Values, wasm.Values[0]),
			maxAbsDiff(cpu.Values[0], wasm.Values[0])
		var best float32
		for i := 2; i < 51 && i < len(outs[0].Values); i += 3 {
			best = max(best, outs[0].Values[i])
		}
		t.Logf("%s %d×%d: max |go − tfjs-cpu| %.2g, |go − tfjs-wasm| %.2g (|cpu − wasm| %.2g); best keypoint score %.3f",
			tc.model, tc.h, tc.w, dCPU, dWASM, dTF, best)
		if dCPU > agreementTolerance || dWASM > agreementTolerance {
			t.Errorf("%s %d×%d: differs from TF.js by %.2g (cpu) and %.2g (wasm), tolerance %g", tc.model, tc.h, tc.w, dCPU, dWASM, agreementTolerance)
		}
		if best < 0.3 {
			t.Errorf("%s: best keypoint score %.3f: no person found on the photo", tc.model, best)
		}
	}
}
