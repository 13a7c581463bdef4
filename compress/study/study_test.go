package study

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDefaultConfig(t *testing.T) {
	c, err := ReadConfig(filepath.Join("..", "..", "configs", "compress_movnect.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Quantize) != 3 || c.Prune.Multiple != 16 || len(c.Prune.Ratios) == 0 || len(c.LowRank.Energies) == 0 {
		t.Errorf("config %+v", c)
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %g, want %g", tt.in, got, tt.want)
		}
	}
}

func FuzzReadConfig(f *testing.F) {
	f.Add([]byte("quantize: [f16, int8]\nprune:\n  ratios: [0.25]\n  multiple: 16\n"))
	f.Add([]byte("low_rank:\n  energies: [0.9, 1]\nsparsity: [0, 1]\n"))
	f.Add([]byte("latency_runs: -3\nprune: {criterion: l1}\n"))
	f.Add([]byte("quantize: int8\n"))
	f.Add([]byte("ptq:\n  calibration_crops: 8\n  percentiles: [99.9, 100]\nfinetune:\n  steps: 5\n  alpha: 0.3\n  variants: [prune-0.5]\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := ReadConfig(path)
		if err != nil {
			return
		}
		if c.LatencyRuns <= 0 || c.ORTIterations <= 0 {
			t.Errorf("accepted run counts %d, %d", c.LatencyRuns, c.ORTIterations)
		}
		for _, r := range c.Prune.Ratios {
			if !(r >= 0 && r < 1) {
				t.Errorf("accepted prune ratio %g", r)
			}
		}
		for _, e := range c.LowRank.Energies {
			if !(e > 0 && e <= 1) {
				t.Errorf("accepted energy %g", e)
			}
		}
		for _, p := range c.PTQ.Percentiles {
			if !(p > 50 && p <= 100) {
				t.Errorf("accepted percentile %g", p)
			}
		}
		if ft := c.FineTune; ft.Steps < 0 || !(ft.LR >= 0) || !(ft.QATLR >= 0) || !(ft.Alpha >= 0 && ft.Alpha <= 1) || c.PTQ.CalibrationCrops < 0 {
			t.Errorf("accepted finetune %+v, calibration crops %d", ft, c.PTQ.CalibrationCrops)
		}
	})
}
