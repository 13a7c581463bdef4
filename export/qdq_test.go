package export

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gomlx/compute-onnx/support/protos"
	"github.com/posedistill/posedistill/nets"
	"google.golang.org/protobuf/proto"
)

// TestNewActQuant checks the uint8 quantization of ranges: zero is exact, every value of the range
// quantizes within scale/2 (the range may shift by scale/2 when the zero point rounds), and bad
// ranges are errors.
func TestNewActQuant(t *testing.T) {
	for _, tc := range []struct{ lo, hi float64 }{{0, 6}, {-1, 1}, {-3, -1}, {2, 5}, {0, 0}, {-1e-30, 1e-30}, {-7.3, 0.01}} {
		q, err := NewActQuant(tc.lo, tc.hi)
		if err != nil {
			t.Fatalf("[%g, %g]: %v", tc.lo, tc.hi, err)
		}
		if got := q.Dequantize(q.Quantize(0)); got != 0 {
			t.Errorf("[%g, %g]: zero dequantizes to %g", tc.lo, tc.hi, got)
		}
		lo, hi := min(tc.lo, 0), max(tc.hi, 0)
		for i := range 1001 {
			x := float32(lo + (hi-lo)*float64(i)/1000)
			if d := math.Abs(float64(q.Dequantize(q.Quantize(x)) - x)); d > float64(q.Scale)*(1+1e-5) {
				t.Fatalf("[%g, %g]: %g comes back %g away (scale %g)", tc.lo, tc.hi, x, d, q.Scale)
			} else if x >= rangeLo(q) && x <= rangeHi(q) && d > float64(q.Scale)/2*(1+1e-5) {
				t.Fatalf("[%g, %g]: %g inside the range comes back %g away (scale/2 %g)", tc.lo, tc.hi, x, d, q.Scale/2)
			}
		}
	}
	for _, tc := range []struct{ lo, hi float64 }{{1, 0}, {math.NaN(), 1}, {0, math.Inf(1)}, {-1e38, 1e38}} {
		if _, err := NewActQuant(tc.lo, tc.hi); err == nil {
			t.Errorf("[%g, %g]: no error", tc.lo, tc.hi)
		}
	}
}

func rangeLo(q ActQuant) float32 { lo, _ := q.Range(); return lo }
func rangeHi(q ActQuant) float32 { _, hi := q.Range(); return hi }

// TestONNXActivations checks the QDQ export: one QuantizeLinear / DequantizeLinear pair per quantized
// activation, with the given scale and zero point, unknown layers and bad scales rejected, and the
// model valid for onnx.checker when Debian's python3-onnx is there.
func TestONNXActivations(t *testing.T) {
	backend := goBackend(t)
	net := allOpsNet()
	store := randomStore(t, backend, net, 2)
	acts := map[string]ActQuant{nets.Input: {Scale: 2.0 / 255, Zero: 128}}
	for i, l := range net.Layers {
		acts[l.Name] = ActQuant{Scale: float32(i+1) / 100, Zero: uint8(i)}
	}
	b, err := ONNX(net, store, ONNXOptions{Int8Weights: true, Activations: acts})
	if err != nil {
		t.Fatal(err)
	}
	var m protos.ModelProto
	if err := proto.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, n := range m.Graph.Node {
		count[n.OpType]++
	}
	if count["QuantizeLinear"] != len(acts) || count["DequantizeLinear"] != len(acts)+countWeighted(net) {
		t.Errorf("%d QuantizeLinear and %d DequantizeLinear for %d activations and %d weighted layers",
			count["QuantizeLinear"], count["DequantizeLinear"], len(acts), countWeighted(net))
	}
	inits := map[string]*protos.TensorProto{}
	for _, in := range m.Graph.Initializer {
		inits[in.Name] = in
	}
	for _, n := range m.Graph.Node {
		if n.OpType != "QuantizeLinear" {
			continue
		}
		s, z := inits[n.Input[1]], inits[n.Input[2]]
		if s == nil || z == nil || z.DataType != int32(protos.TensorProto_UINT8) || len(z.RawData) != 1 || len(s.RawData) != 4 {
			t.Fatalf("%s: scale %v, zero point %v", n.Name, s, z)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "qdq.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import onnx").Run(); err == nil {
		if out, err := exec.Command("/usr/bin/python3", filepath.Join("testdata", "check_onnx.py"), path).CombinedOutput(); err != nil {
			t.Errorf("onnx.checker: %v\n%s", err, out)
		}
	}
	for name, bad := range map[string]map[string]ActQuant{
		"unknown layer": {"nope": {Scale: 1}},
		"zero scale":    {"stem": {Scale: 0}},
		"NaN scale":     {"stem": {Scale: float32(math.NaN())}},
	} {
		if _, err := ONNX(net, store, ONNXOptions{Activations: bad}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// countWeighted returns the number of conv and deconv layers.
func countWeighted(net *nets.Net) int {
	n := 0
	for _, l := range net.Layers {
		if l.Op == nets.OpConv || l.Op == nets.OpDeconv {
			n++
		}
	}
	return n
}

// FuzzNewActQuant checks, for any range it accepts, that the scale is valid, zero is exact and the
// requested range is representable to within half a step.
func FuzzNewActQuant(f *testing.F) {
	f.Add(0.0, 6.0)
	f.Add(-1.5, 2.25)
	f.Add(-3.0, -1.0)
	f.Add(0.0, 0.0)
	f.Add(-1e-40, 1e-40)
	f.Fuzz(func(t *testing.T, lo, hi float64) {
		q, err := NewActQuant(lo, hi)
		if err != nil {
			return
		}
		if !q.Valid() {
			t.Fatalf("[%g, %g]: invalid scale %g", lo, hi, q.Scale)
		}
		if got := q.Dequantize(q.Quantize(0)); got != 0 {
			t.Fatalf("[%g, %g]: zero comes back as %g", lo, hi, got)
		}
		rlo, rhi := q.Range()
		half := float64(q.Scale) / 2 * (1 + 1e-5)
		if float64(rlo) > min(lo, 0)+half || float64(rhi) < max(hi, 0)-half {
			t.Fatalf("[%g, %g]: representable [%g, %g] (scale %g)", lo, hi, rlo, rhi, q.Scale)
		}
	})
}
