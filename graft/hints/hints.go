// Package hints is the file format of feature-distillation hints (FitNets): which channels of a
// teacher layer's output a student layer's output should reproduce. "models graft" writes one for
// the student it cuts from a teacher; "distill --hints" reads it.
package hints

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/posedistill/posedistill/atomicfile"
)

// File is the name of the file "models graft" writes the hints to, beside the network.
const File = "hints.json"

// Hint ties a student layer's output to channels of a teacher layer's output: channel i of
// Student is channel Channels[i] of Teacher, at the same resolution.
type Hint struct {
	Student  string `json:"student"`
	Teacher  string `json:"teacher"`
	Channels []int  `json:"channels"`
}

// Set is the hints of a student and the teacher run they refer to.
type Set struct {
	// Teacher is the run directory of the teacher the student was cut from.
	Teacher string `json:"teacher"`
	Hints   []Hint `json:"hints"`
}

// Write writes the hint set to path atomically.
func Write(path string, h Set) error { return atomicfile.WriteJSON(path, h) }

// Read reads a hint set and checks that it names a teacher and gives every hint a student
// layer, a teacher layer and channels.
func Read(path string) (Set, error) {
	var h Set
	b, err := os.ReadFile(path)
	if err != nil {
		return h, fmt.Errorf("hints: %w", err)
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return h, fmt.Errorf("hints %s: %w", path, err)
	}
	if h.Teacher == "" || len(h.Hints) == 0 {
		return h, fmt.Errorf("hints %s: want a teacher and at least one hint", path)
	}
	for i, x := range h.Hints {
		if x.Student == "" || x.Teacher == "" || len(x.Channels) == 0 {
			return h, fmt.Errorf("hints %s: hint %d needs a student layer, a teacher layer and channels", path, i)
		}
		for _, c := range x.Channels {
			if c < 0 {
				return h, fmt.Errorf("hints %s: hint %d (%s): negative channel %d", path, i, x.Student, c)
			}
		}
	}
	return h, nil
}
