package study

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParetoFront(t *testing.T) {
	tests := []struct {
		name string
		rows []Measurement
		want []int
	}{
		{"empty", nil, nil},
		{"one", []Measurement{{GoMs: 3, AP: 0.1}}, []int{0}},
		{"dominated", []Measurement{{GoMs: 3, AP: 0.1}, {GoMs: 2, AP: 0.2}}, []int{1}},
		{"trade-off sorted by latency", []Measurement{{GoMs: 3, AP: 0.5}, {GoMs: 1, AP: 0.2}, {GoMs: 2, AP: 0.1}}, []int{1, 0}},
		{"equal rows both stay", []Measurement{{GoMs: 2, AP: 0.3}, {GoMs: 2, AP: 0.3}}, []int{0, 1}},
		{"ONNX Runtime latency ranks first", []Measurement{{GoMs: 1, ORTMs: 5, AP: 0.3}, {GoMs: 9, ORTMs: 2, AP: 0.3}}, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParetoFront(tt.rows); !slices.Equal(got, tt.want) {
				t.Errorf("ParetoFront = %v, want %v", got, tt.want)
			}
			// The same rows scored by agreement instead of AP give the same front.
			byAgreement := slices.Clone(tt.rows)
			for i := range byAgreement {
				byAgreement[i].Agreement, byAgreement[i].AP = byAgreement[i].AP, 0
			}
			if got := ParetoFrontBy(byAgreement, func(m Measurement) float64 { return m.Agreement }); !slices.Equal(got, tt.want) {
				t.Errorf("ParetoFrontBy agreement = %v, want %v", got, tt.want)
			}
		})
	}
}

func testReport() *Report {
	return &Report{Model: "tiny", Data: "val.json", Rows: []Measurement{
		{Variant: "original", File: "original.safetensors", Bytes: 4000, Params: 1000, NonZeros: 990, FLOPs: 2e6, GoMs: 2, AP: 0.4, AP50: 0.7},
		{Variant: "int8", File: "int8.safetensors", Bytes: 1100, Params: 1000, NonZeros: 980, FLOPs: 2e6, GoMs: 2.5, ORTMs: 0, AP: 0.38, AP50: 0.69},
		{Variant: "prune-0.5", File: "prune-0.5.safetensors", Bytes: 2000, Params: 500, NonZeros: 500, FLOPs: 1e6, GoMs: 1, AP: 0.2, Note: "no fine-tuning"},
	}, Notes: []string{"a remark"}}
}

func TestReportFiles(t *testing.T) {
	r := testReport()
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"prune-0.5", "original"}; !slices.Equal(r.Pareto, want) {
		t.Fatalf("Pareto = %v, want %v", r.Pareto, want)
	}
	md := r.Markdown()
	for _, want := range []string{"| original ★ | original.safetensors | 4000 | 1000 | 990 | 2.0 | 2.00 | — | 0.4000 | 0.7000 |",
		"| int8 | int8.safetensors | 1100 |", "- prune-0.5: no fine-tuning", "- a remark"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	dir := t.TempDir()
	js, pngPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.png")
	if err := r.WriteJSON(js); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Rows) != 3 || back.Rows[1].Bytes != 1100 || !slices.Equal(back.Pareto, r.Pareto) {
		t.Errorf("JSON round trip: %+v", back)
	}
	for _, plotFn := range []func(string, *Report) error{PlotPareto, PlotAgreement} {
		if err := plotFn(pngPath, r); err != nil {
			t.Fatal(err)
		}
		pb, err := os.ReadFile(pngPath)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(pb))
		if err != nil {
			t.Fatalf("plot is not a PNG: %v", err)
		}
		if img.Bounds().Dx() < 400 {
			t.Errorf("plot is %v", img.Bounds())
		}
	}
}

func TestReportRejectsNaN(t *testing.T) {
	r := testReport()
	r.Rows[1].AP = math.NaN()
	if err := r.Finish(); err == nil {
		t.Error("Finish accepted a NaN AP")
	}
}

func TestFormatAP(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{{0, "0.0000"}, {0.4, "0.4000"}, {1.29e-5, "1.3e-05"}, {-1, "-1.0000"}, {0.00005, "0.0001"}}
	for _, tt := range tests {
		if got := formatAP(tt.in); got != tt.want {
			t.Errorf("formatAP(%g) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
