package train

import (
	"bytes"
	"fmt"
	"slices"
)

// CompareCheckpoints reports the first difference between two checkpoint files: their steps, a
// variable only one holds, or a variable whose shape or bytes differ. It returns nil when both
// hold the same step and bit-identical variables (what an interrupted and resumed run must end
// with).
func CompareCheckpoints(a, b string) error {
	ia, va, err := ReadCheckpoint(a)
	if err != nil {
		return err
	}
	ib, vb, err := ReadCheckpoint(b)
	if err != nil {
		return err
	}
	if ia.Step != ib.Step {
		return fmt.Errorf("%s is at step %d, %s at step %d", a, ia.Step, b, ib.Step)
	}
	paths := make([]string, 0, len(va))
	for p := range va {
		paths = append(paths, p)
	}
	for p := range vb {
		if _, ok := va[p]; !ok {
			return fmt.Errorf("variable %s is in %s, not in %s", p, b, a)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		tb, ok := vb[p]
		if !ok {
			return fmt.Errorf("variable %s is in %s, not in %s", p, a, b)
		}
		ta := va[p]
		if !ta.Shape().Equal(tb.Shape()) {
			return fmt.Errorf("variable %s: shape %s in %s, %s in %s", p, ta.Shape(), a, tb.Shape(), b)
		}
		var ba, bb []byte
		if err := ta.ConstBytes(func(x []byte) { ba = bytes.Clone(x) }); err != nil {
			return fmt.Errorf("variable %s: %w", p, err)
		}
		if err := tb.ConstBytes(func(x []byte) { bb = bytes.Clone(x) }); err != nil {
			return fmt.Errorf("variable %s: %w", p, err)
		}
		if !bytes.Equal(ba, bb) {
			return fmt.Errorf("variable %s differs between %s and %s", p, a, b)
		}
	}
	return nil
}
