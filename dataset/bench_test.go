package dataset

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
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
	for b.Loop() {
		if _, err := Read(context.Background(), path, ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadUnmarshalWhole is the peer: the whole file in memory and one json.Unmarshal, with
// no validation.
func BenchmarkReadUnmarshalWhole(b *testing.B) {
	path, size := benchFile(b)
	b.SetBytes(size)
	b.ReportAllocs()
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
	for b.Loop() {
		if err := Write(out, d); err != nil {
			b.Fatal(err)
		}
	}
}
