// Package modelcheck reports a model's broken output as the model's fault: a NaN or an infinity
// in what a network computed is a model error naming the model and the output, not something
// for a JSON writer or a decoder to stumble on later ("unsupported value: NaN").
package modelcheck

import (
	"errors"
	"fmt"
	"math"
)

// ErrNonFinite is wrapped by every NonFiniteError.
var ErrNonFinite = errors.New("non-finite model output")

// NonFiniteError is a NaN or infinite value in a model's output.
type NonFiniteError struct {
	// Model names the model (a file, a network name); Output the output (a name or an index).
	Model, Output string
	// Index is the first bad element's flat index, Value its value; Count the number of bad
	// elements of Total.
	Index        int
	Value        float64
	Count, Total int
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("model %s: output %s holds %d non-finite values of %d (first %v at %d): the model is damaged or diverged",
		e.Model, e.Output, e.Count, e.Total, e.Value, e.Index)
}

func (e *NonFiniteError) Unwrap() error { return ErrNonFinite }

// Float32s returns a *NonFiniteError if xs holds a NaN or an infinity.
func Float32s(model, output string, xs []float32) error {
	first := -1
	count := 0
	for i, v := range xs {
		// v-v is 0 for finite v and NaN for NaN and ±Inf.
		if v-v != 0 {
			if first < 0 {
				first = i
			}
			count++
		}
	}
	if count == 0 {
		return nil
	}
	return &NonFiniteError{Model: model, Output: output, Index: first, Value: float64(xs[first]), Count: count, Total: len(xs)}
}

// Float64 is Float32s for one value (a loss, a score).
func Float64(model, output string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return &NonFiniteError{Model: model, Output: output, Value: v, Count: 1, Total: 1}
	}
	return nil
}
