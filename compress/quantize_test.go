package compress

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/nets"
)

// allQuantOptions lists every format × granularity × symmetry combination.
func allQuantOptions() []QuantOptions {
	opts := []QuantOptions{{Format: Float16}}
	for _, f := range []Format{Int8, Int4} {
		for _, pc := range []bool{false, true} {
			for _, asym := range []bool{false, true} {
				opts = append(opts, QuantOptions{Format: f, PerChannel: pc, Asymmetric: asym})
			}
		}
	}
	return opts
}

// checkBound verifies the dequantization error of every value against its format's bound: scale/2
// for integers (plus float32 rounding of the product), 2⁻¹¹ relative for float16 normals and 2⁻²⁵
// absolute for float16 subnormals. It also checks the codes stay in range.
func checkBound(t *testing.T, values []float32, q *QTensor) {
	t.Helper()
	got, err := q.Dequantize()
	if err != nil {
		t.Fatal(err)
	}
	c := q.channels()
	bits := q.Format.bits()
	for i, w := range values {
		err := math.Abs(float64(got[i]) - float64(w))
		var bound float64
		switch q.Format {
		case Float16:
			if math.Abs(float64(w)) >= math.Ldexp(1, -14) {
				bound = math.Ldexp(math.Abs(float64(w)), -11)
			} else {
				bound = math.Ldexp(1, -25)
			}
		default:
			s := float64(q.Scale[i%c])
			bound = s/2*(1+1e-6) + 1e-7*math.Abs(float64(w))
			code := q.code(i)
			lo, hi := -(1<<(bits-1) - 1), 1<<(bits-1)-1
			if q.Asymmetric {
				lo, hi = 0, 1<<bits-1
			}
			if code < lo || code > hi {
				t.Fatalf("%+v: code %d outside [%d, %d]", q.QuantOptions, code, lo, hi)
			}
		}
		if err > bound {
			t.Fatalf("%+v value %d: %g → %g, error %g over bound %g", q.QuantOptions, i, w, got[i], err, bound)
		}
	}
}

// TestQuantizeErrorBound is a property test: random tensors of several distributions and shapes, in
// every format, dequantize within the format's error bound.
func TestQuantizeErrorBound(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	dists := map[string]func(ch int) float32{
		"uniform":     func(int) float32 { return r.Float32()*2 - 1 },
		"gaussian":    func(int) float32 { return float32(r.NormFloat64() * 0.05) },
		"heavy tail":  func(int) float32 { return float32(r.NormFloat64() / (r.Float64() + 0.01)) },
		"positive":    func(int) float32 { return r.Float32() + 0.5 },
		"negative":    func(int) float32 { return -r.Float32() * 3 },
		"per channel": func(ch int) float32 { return float32(r.NormFloat64() * math.Pow(10, float64(ch%5-2))) },
		"zeros":       func(int) float32 { return 0 },
		"constant":    func(int) float32 { return 0.37 },
		"tiny":        func(int) float32 { return float32(r.NormFloat64() * 1e-6) },
	}
	for name, dist := range dists {
		for trial := range 20 {
			dims := [][]int{{3, 3, 4, 8}, {1, 1, 16, 5}, {7}, {2, 3}, {}}[trial%5]
			n, _ := checkedLen(dims)
			values := make([]float32, n)
			ch := 1
			if len(dims) > 0 {
				ch = dims[len(dims)-1]
			}
			for i := range values {
				values[i] = dist(i % ch)
			}
			for _, opt := range allQuantOptions() {
				q, err := Quantize(name, values, dims, opt)
				if err != nil {
					t.Fatalf("%s %+v: %v", name, opt, err)
				}
				checkBound(t, values, q)
			}
		}
	}
}

func TestQuantizeErrors(t *testing.T) {
	for _, tc := range []struct {
		values []float32
		dims   []int
		opt    QuantOptions
	}{
		{[]float32{1}, []int{1}, QuantOptions{Format: "int3"}},
		{[]float32{1}, []int{1}, QuantOptions{Format: Float16, PerChannel: true}},
		{[]float32{1, 2}, []int{3}, QuantOptions{Format: Int8}},
		{[]float32{float32(math.NaN())}, []int{1}, QuantOptions{Format: Int8}},
		{[]float32{float32(math.Inf(1))}, []int{1}, QuantOptions{Format: Int4}},
		{[]float32{70000}, []int{1}, QuantOptions{Format: Float16}},
		{nil, []int{-1}, QuantOptions{Format: Int8}},
	} {
		if _, err := Quantize("w", tc.values, tc.dims, tc.opt); err == nil {
			t.Errorf("%v %v %+v: no error", tc.values, tc.dims, tc.opt)
		}
	}
	q, _ := Quantize("w", []float32{1, 2, 3}, []int{3}, QuantOptions{Format: Int4})
	q.Packed = q.Packed[:1]
	if _, err := q.Dequantize(); err == nil {
		t.Error("truncated codes: no error")
	}
}

// TestQuantizedModelFile quantizes MoVNect's weights in every format, writes the packed file, reads
// it back and runs the dequantized network. It logs the file sizes against float32 safetensors and
// the output error; the packed weight bytes must match the format's size exactly.
func TestQuantizedModelFile(t *testing.T) {
	backend := goBackend(t)
	tc := testNets(t)["movnect"]
	store := randomStore(t, backend, tc.net, 1)
	images := randomImages(2, 1, tc.h, tc.w, 3)
	want := predict(t, backend, tc.net, store, images)
	dir := t.TempDir()
	all, err := export.StoreTensors(store)
	if err != nil {
		t.Fatal(err)
	}
	f32Path := filepath.Join(dir, "f32.safetensors")
	if err := export.WriteSafetensors(f32Path, all, nil); err != nil {
		t.Fatal(err)
	}
	f32Size := fileSize(t, f32Path)
	var weightValues, weightTensors, weightChannels int
	for _, l := range tc.net.Layers {
		if l.Op == "conv" || l.Op == "deconv" {
			_, dims, err := readVariable(store, pathOf("", l.Name, "weights"))
			if err != nil {
				t.Fatal(err)
			}
			n, _ := checkedLen(dims)
			weightValues += n
			weightTensors++
			weightChannels += dims[3]
		}
	}
	best := map[Format]float64{Float16: math.Inf(1), Int8: math.Inf(1), Int4: math.Inf(1)}
	for _, opt := range allQuantOptions() {
		t.Run(fmt.Sprintf("%s/perchannel=%v/asym=%v", opt.Format, opt.PerChannel, opt.Asymmetric), func(t *testing.T) {
			m, err := QuantizeStore(tc.net, store, "", opt)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "q.safetensors")
			if err := m.Write(path); err != nil {
				t.Fatal(err)
			}
			size := fileSize(t, path)
			read, err := ReadQuantized(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(read.Weights) != len(m.Weights) || len(read.Others) != len(m.Others) {
				t.Fatalf("read %d weights and %d others, wrote %d and %d", len(read.Weights), len(read.Others), len(m.Weights), len(m.Others))
			}
			written := map[string]*QTensor{}
			for _, q := range m.Weights {
				written[q.Name] = q
			}
			for _, q := range read.Weights {
				if w := written[q.Name]; w == nil || !bytes.Equal(q.Packed, w.Packed) || w.QuantOptions != q.QuantOptions {
					t.Fatalf("%s: codes differ after the round trip", q.Name)
				}
			}
			// Exact packed size: codes + 4-byte scales + 1-byte zero points.
			groups := weightTensors
			if opt.PerChannel {
				groups = weightChannels
			}
			wantBytes := map[Format]int{Float16: 2 * weightValues, Int8: weightValues + 4*groups, Int4: 4 * groups}[opt.Format]
			if opt.Format == Int4 {
				for _, q := range m.Weights {
					wantBytes += (q.Len() + 1) / 2
				}
			}
			if opt.Asymmetric {
				wantBytes += groups
			}
			if got := m.WeightBytes(); got != int64(wantBytes) {
				t.Errorf("weight bytes %d, want %d", got, wantBytes)
			}
			if size >= f32Size {
				t.Errorf("quantized file %d bytes, float32 file %d", size, f32Size)
			}
			qs, err := read.Store()
			if err != nil {
				t.Fatal(err)
			}
			got := predict(t, backend, tc.net, qs, images)
			d := relRMS(got, want)
			t.Logf("file %d bytes (float32 %d, %.1f%%), weights %d bytes of %d values; output RMS error %.3g (relative to RMS)",
				size, f32Size, 100*float64(size)/float64(f32Size), m.WeightBytes(), weightValues, d)
			if d == 0 {
				t.Errorf("no output error: the dequantized weights were not used")
			}
			best[opt.Format] = min(best[opt.Format], d)
		})
	}
	// More bits, less error: float16 beats the best int8 variant, which beats the best int4 one.
	if !(best[Float16] < best[Int8] && best[Int8] < best[Int4]) {
		t.Errorf("best output errors not ordered by precision: %v", best)
	}
}

// relRMS returns the RMS of a−b over the RMS of b, over all heads.
func relRMS(a, b [][]float32) float64 {
	var se, ss float64
	for h := range b {
		for i := range b[h] {
			d := float64(a[h][i]) - float64(b[h][i])
			se += d * d
			ss += float64(b[h][i]) * float64(b[h][i])
		}
	}
	return math.Sqrt(se / max(ss, 1e-300))
}

// TestQuantizedMoVNectSize measures the packed file of the full MoVNect (catalog "movnect") against
// float32 safetensors: the file must be the packed weights plus the float32 variables left as they are
// (batch norm, biases) plus a header, nothing more.
func TestQuantizedMoVNectSize(t *testing.T) {
	backend := goBackend(t)
	net, err := nets.ByName("movnect")
	if err != nil {
		t.Fatal(err)
	}
	store := randomStore(t, backend, net, 1)
	dir := t.TempDir()
	all, err := export.StoreTensors(store)
	if err != nil {
		t.Fatal(err)
	}
	f32Path := filepath.Join(dir, "f32.safetensors")
	if err := export.WriteSafetensors(f32Path, all, nil); err != nil {
		t.Fatal(err)
	}
	f32Size := fileSize(t, f32Path)
	for _, tc := range []struct{ opt QuantOptions }{
		{QuantOptions{Format: Float16}},
		{QuantOptions{Format: Int8, PerChannel: true}},
		{QuantOptions{Format: Int4, PerChannel: true}},
	} {
		m, err := QuantizeStore(net, store, "", tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, string(tc.opt.Format)+".safetensors")
		if err := m.Write(path); err != nil {
			t.Fatal(err)
		}
		size := fileSize(t, path)
		others := int64(0)
		for _, o := range m.Others {
			others += int64(len(o.Data))
		}
		header := size - m.WeightBytes() - others
		t.Logf("%s per-channel=%v: %d bytes = weights %d + other variables %d + header %d; float32 file %d bytes: %.1f%%",
			tc.opt.Format, tc.opt.PerChannel, size, m.WeightBytes(), others, header, f32Size, 100*float64(size)/float64(f32Size))
		if header < 8 || header > 64<<10 {
			t.Errorf("%s: %d bytes unaccounted for", tc.opt.Format, header)
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// FuzzQuantize checks the error bound, in every format, on arbitrary finite float32 values.
func FuzzQuantize(f *testing.F) {
	seed := func(v ...float32) []byte {
		b := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
		}
		return b
	}
	f.Add(seed(1, -2, 3, 0.5), uint8(2))
	f.Add(seed(0, 0, 0), uint8(3))
	f.Add(seed(1e-30, -1e30, 65000, 1e-8), uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, channels uint8) {
		values := make([]float32, len(b)/4)
		for i := range values {
			values[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			if math.IsNaN(float64(values[i])) || math.IsInf(float64(values[i]), 0) {
				values[i] = 0
			}
		}
		c := max(1, int(channels)%8)
		values = values[:len(values)/c*c]
		dims := []int{len(values) / c, c}
		for _, opt := range allQuantOptions() {
			q, err := Quantize("f", values, dims, opt)
			if err != nil {
				lo, hi := 0.0, 0.0
				for _, v := range values {
					lo, hi = min(lo, float64(v)), max(hi, float64(v))
				}
				if opt.Format == Float16 || hi-lo > math.MaxFloat32 {
					continue // out of float16 range, or a range float32 cannot hold
				}
				t.Fatalf("%+v: %v", opt, err)
			}
			checkBound(t, values, q)
		}
	})
}
