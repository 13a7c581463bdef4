package train

import (
	"context"
	"fmt"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/eval"
)

// backgroundValidation is a validation running beside training on a snapshot of the weights.
type backgroundValidation struct {
	step  int          // the training step the snapshot was taken after
	loss  float64      // the loss of that step
	store *model.Store // the snapshot: every variable, for the best checkpoint
	done  chan struct{}
	// Set before done is closed.
	results []dataset.Result
	report  *eval.COCOReport
	err     error
}

// startBackgroundValidation runs evaluate on the snapshot st in a new goroutine.
func startBackgroundValidation(ctx context.Context, step int, loss float64, st *model.Store,
	evaluate func(context.Context, *model.Store) ([]dataset.Result, *eval.COCOReport, error)) *backgroundValidation {
	v := &backgroundValidation{step: step, loss: loss, store: st, done: make(chan struct{})}
	go func() {
		defer close(v.done)
		v.results, v.report, v.err = evaluate(ctx, st)
	}()
	return v
}

// ready reports whether the validation has finished.
func (v *backgroundValidation) ready() bool {
	select {
	case <-v.done:
		return true
	default:
		return false
	}
}

// snapshotStore returns a new store with store's parameters and a copy of each of its variables
// (value, trainability), which training can then update without changing the copy.
func snapshotStore(store *model.Store) (*model.Store, error) {
	snap := model.NewStore()
	for k, v := range store.IterParams() {
		snap.SetParam(k, v)
	}
	for v := range store.IterVariables() {
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", v.Path(), err)
		}
		c, err := t.LocalClone()
		if err != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", v.Path(), err)
		}
		nv, err := snap.CreateVariable(v.Path(), c)
		if err != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", v.Path(), err)
		}
		nv.SetTrainable(v.Trainable)
	}
	return snap, nil
}
