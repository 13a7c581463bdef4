package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/posedistill/posedistill/atomicfile"
)

// Record is one line of RUN/metrics.jsonl: a training step's loss, its terms and the learning
// rate, or at validation steps the COCO numbers.
type Record struct {
	Step      int                `json:"step"`
	Loss      float64            `json:"loss,omitempty"`
	Terms     map[string]float64 `json:"terms,omitempty"` // unweighted value of each loss term
	LR        float64            `json:"lr,omitempty"`
	ImgPerSec float64            `json:"img_per_sec,omitempty"`
	Val       map[string]float64 `json:"val,omitempty"`
}

// metricsLog appends records to a JSONL file.
type metricsLog struct {
	path string
	f    *os.File
}

// openMetricsLog opens path for appending. A fresh run truncates it; a resumed run first drops
// the records after its checkpoint's step (written by the interrupted run after its last save).
func openMetricsLog(path string, resume bool, step int) (*metricsLog, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if !resume {
		flags |= os.O_TRUNC
	} else if err := truncateRecords(path, step); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("metrics log: %w", err)
	}
	return &metricsLog{path: path, f: f}, nil
}

// write appends one record.
func (l *metricsLog) write(r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("metrics log %s: %w", l.path, err)
	}
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("metrics log %s: %w", l.path, err)
	}
	return nil
}

func (l *metricsLog) close() error { return l.f.Close() }

// truncateRecords rewrites a metrics log keeping the records of steps ≤ step.
func truncateRecords(path string, step int) error {
	recs, err := ReadRecords(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, r := range recs {
		if r.Step <= step {
			b, _ := json.Marshal(r)
			buf.Write(append(b, '\n'))
		}
	}
	return atomicfile.WriteBytes(path, buf.Bytes())
}

// ReadRecords reads a metrics log.
func ReadRecords(path string) ([]Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("metrics log: %w", err)
	}
	var recs []Record
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("metrics log %s: line %d: %w", path, i+1, err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}
