package dataset

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// benchFile writes the synthetic COCO-like file the read benchmarks share.
func benchFile(b *testing.B) (string, int64) {
	path := filepath.Join(b.TempDir(), "bench.json")
	return path, writeSyntheticCOCO(b, path, 10000, 11)
}

// BenchmarkRead measures Read, streaming element by element with validation.
func BenchmarkRead(b *testing.B) {
	path, size := benchFile(b)
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		if _, err := Read(context.Background(), path, ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkReadUnmarshalWhole is the peer: the whole file in memory and one json.Unmarshal, with
// no validation.
func BenchmarkReadUnmarshalWhole(b *testing.B) {
	path, size := benchFile(b)
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		var d Dataset
		if err := json.Unmarshal(data, &d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkWrite measures Write on the same dataset.
func BenchmarkWrite(b *testing.B) {
	path, size := benchFile(b)
	d, err := Read(context.Background(), path, ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "out.json")
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		if err := Write(out, d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// resultsFile writes a synthetic keypoint results file (17 keypoints, coordinates with two
// decimals and scores with three, as detectors write them) for the results benchmarks.
func resultsFile(b *testing.B) (string, int64) {
	rng := rand.New(rand.NewPCG(12, 1))
	res := make([]Result, 20000)
	for i := range res {
		kp := make([]float64, 51)
		for j := 0; j < 51; j += 3 {
			kp[j] = math.Round(rng.Float64()*128000) / 100
			kp[j+1] = math.Round(rng.Float64()*72000) / 100
			kp[j+2] = math.Round(rng.Float64()*1000) / 1000
		}
		res[i] = Result{ImageID: int64(1 + i/6), CategoryID: 1, Keypoints: kp, Score: math.Round(rng.Float64()*1e6) / 1e6}
	}
	path := filepath.Join(b.TempDir(), "dt.json")
	if err := WriteResults(path, res); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, st.Size()
}

// BenchmarkReadResults measures ReadResults, streaming with the fast decoder.
func BenchmarkReadResults(b *testing.B) {
	path, size := resultsFile(b)
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		if _, err := ReadResults(path); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkReadResultsUnmarshalWhole is the peer: the whole file in memory and one
// json.Unmarshal, with no checks.
func BenchmarkReadResultsUnmarshalWhole(b *testing.B) {
	path, size := resultsFile(b)
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		var r []Result
		if err := json.Unmarshal(data, &r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime returns the CPU time (user + system) the process has used so far: on a loaded machine
// it distorts less than wall-clock time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReadCOCOSized reads a file the size of COCO's person_keypoints_train2017.json (250,000
// people with polygons or RLE masks and keypoints, ~83,000 images) with the hand-written decoders
// (fast) and with encoding/json alone (std), to decide whether the fast path earns its code:
//
//	scripts/go test -run '^$' -bench ReadCOCOSized -benchtime 1x ./dataset
func BenchmarkReadCOCOSized(b *testing.B) {
	path := filepath.Join(b.TempDir(), "coco_sized.json")
	size := writeSyntheticCOCO(b, path, 250000, 13)
	for _, mode := range []struct {
		name string
		fast bool
	}{{"fast", true}, {"std", false}} {
		b.Run(mode.name, func(b *testing.B) {
			defer func(old bool) { fastPath = old }(fastPath)
			fastPath = mode.fast
			b.SetBytes(size)
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			for b.Loop() {
				d, err := Read(context.Background(), path, ReadOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if len(d.Annotations) != 250000 {
					b.Fatalf("%d annotations", len(d.Annotations))
				}
			}
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
