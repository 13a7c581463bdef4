package study

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/posedistill/posedistill/atomicfile"
)

// Measurement is one compressed variant of a model, as measured: its size, cost, speed and
// accuracy.
type Measurement struct {
	// Variant names the compression ("original", "int8", "prune-0.25", …).
	Variant string `json:"variant"`
	// File is the weights file written for the variant (base name) and Bytes its size on disk.
	File  string `json:"file"`
	Bytes int64  `json:"bytes"`
	// Params counts the network's parameters; NonZeros those whose stored value is not zero.
	Params   int64 `json:"params"`
	NonZeros int64 `json:"nonzeros"`
	// FLOPs is the forward cost of one image at the model's input size.
	FLOPs int64 `json:"flops"`
	// GoMs is the median batch-1 latency on GoMLX's go backend, in milliseconds.
	GoMs float64 `json:"go_ms"`
	// ORTMs is the median batch-1 latency of the exported ONNX model in ONNX Runtime, in
	// milliseconds; 0 when ONNX Runtime was not available.
	ORTMs float64 `json:"ort_ms,omitempty"`
	// AP and AP50 are the COCO keypoint AP and AP at OKS 0.5 on the validation split.
	AP   float64 `json:"ap"`
	AP50 float64 `json:"ap50"`
	// Agreement and Agreement50 are the COCO keypoint AP and AP50 of the variant's predictions
	// against the original network's predictions taken as ground truth (AgreementAP): its fidelity
	// to the original, meaningful even when the original's AP is low.
	Agreement   float64 `json:"agreement_ap"`
	Agreement50 float64 `json:"agreement_ap50"`
	// Note says anything particular about the variant (e.g. how it was evaluated).
	Note string `json:"note,omitempty"`
}

// Report is the outcome of compressing one model in several ways.
type Report struct {
	Model string        `json:"model"`
	Data  string        `json:"data"`
	Rows  []Measurement `json:"rows"`
	// Pareto lists the variants on the AP/latency Pareto front (see ParetoFront).
	Pareto []string `json:"pareto"`
	// Notes are free remarks printed under the table.
	Notes []string `json:"notes,omitempty"`
}

// Latency returns the latency the report ranks a row by: ONNX Runtime's when measured, else the
// go backend's.
func (m Measurement) Latency() float64 {
	if m.ORTMs > 0 {
		return m.ORTMs
	}
	return m.GoMs
}

// ParetoFront returns the indices of the rows no other row dominates — none is at least as fast
// (Latency) and at least as accurate (AP) while strictly better in one — ordered by latency.
func ParetoFront(rows []Measurement) []int {
	return ParetoFrontBy(rows, func(m Measurement) float64 { return m.AP })
}

// ParetoFrontBy is ParetoFront with accuracy measured by score (e.g. the agreement AP).
func ParetoFrontBy(rows []Measurement, score func(Measurement) float64) []int {
	var front []int
	for i, a := range rows {
		dominated := false
		for j, b := range rows {
			if i == j {
				continue
			}
			if b.Latency() <= a.Latency() && score(b) >= score(a) && (b.Latency() < a.Latency() || score(b) > score(a)) {
				dominated = true
				break
			}
		}
		if !dominated {
			front = append(front, i)
		}
	}
	sort.SliceStable(front, func(x, y int) bool { return rows[front[x]].Latency() < rows[front[y]].Latency() })
	return front
}

// Markdown returns the report as a Markdown table with the Pareto-optimal variants starred.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Compression of %s\n\nCOCO keypoint AP on %s. Latency: median batch-1 inference. ", r.Model, r.Data)
	b.WriteString("Bytes: size of the variant's weights file on disk. Agreement: AP (AP50) against the original's ")
	b.WriteString("predictions taken as ground truth. ★: on the AP/latency Pareto front.\n\n")
	b.WriteString("| variant | file | bytes | params | non-zeros | MFLOPs | go (ms) | ONNX Runtime (ms) | AP | AP50 | agreement AP (AP50) |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	onFront := map[string]bool{}
	for _, v := range r.Pareto {
		onFront[v] = true
	}
	for _, m := range r.Rows {
		name := m.Variant
		if onFront[name] {
			name += " ★"
		}
		ort := "—"
		if m.ORTMs > 0 {
			ort = fmt.Sprintf("%.2f", m.ORTMs)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %.1f | %.2f | %s | %s | %s | %.3f (%.3f) |\n",
			name, m.File, m.Bytes, m.Params, m.NonZeros, float64(m.FLOPs)/1e6, m.GoMs, ort, formatAP(m.AP), formatAP(m.AP50), m.Agreement, m.Agreement50)
	}
	var notes []string
	for _, m := range r.Rows {
		if m.Note != "" {
			notes = append(notes, m.Variant+": "+m.Note)
		}
	}
	notes = append(notes, r.Notes...)
	if len(notes) > 0 {
		b.WriteString("\n")
		for _, n := range notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

// Finish fills Pareto from the rows and checks that every number is finite.
func (r *Report) Finish() error {
	for _, m := range r.Rows {
		for _, v := range []float64{m.GoMs, m.ORTMs, m.AP, m.AP50, m.Agreement, m.Agreement50} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("report %s: variant %s has a non-finite measurement", r.Model, m.Variant)
			}
		}
	}
	r.Pareto = nil
	for _, i := range ParetoFront(r.Rows) {
		r.Pareto = append(r.Pareto, r.Rows[i].Variant)
	}
	return nil
}

// WriteJSON writes the report as indented JSON to path, atomically.
func (r *Report) WriteJSON(path string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	})
}

// WriteMarkdown writes Markdown to path, atomically.
func (r *Report) WriteMarkdown(path string) error {
	return atomicfile.WriteBytes(path, []byte(r.Markdown()))
}

// formatAP prints an AP with four decimals, or in scientific notation when it is positive but
// would print as 0.0000 (so that a Pareto star on a near-zero AP is explained).
func formatAP(v float64) string {
	if v > 0 && v < 5e-5 {
		return fmt.Sprintf("%.1e", v)
	}
	return fmt.Sprintf("%.4f", v)
}
