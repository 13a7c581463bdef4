package topdown

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// Iterator yields a loader's batches in order; see Loader.Start.
type Iterator struct {
	parent context.Context
	cancel context.CancelFunc
	out    chan batchResult
	done   sync.WaitGroup
	err    error // sticky error once the sequence ended
}

type batchResult struct {
	batch *Batch
	err   error
}

// batchJob is one batch being built.
type batchJob struct {
	epoch, step int
	batch       *Batch
	samples     []*Sample // views of batch's rows
	errs        []error
	wg          sync.WaitGroup
}

type sampleJob struct {
	b         *batchJob
	slot, pos int
	idx       int
}

// Start begins producing batches at batch step of epoch (0-based), which lets a run resume
// exactly where it stopped: batch (e, s) has the same content whether the sequence started at
// (0, 0) or at (e, s). The batches are built by Workers goroutines, Prefetch batches ahead,
// until ctx is cancelled, Close is called, or Epochs have been produced. Call Close when done:
// it stops the goroutines.
func (l *Loader) Start(ctx context.Context, epoch, step int) (*Iterator, error) {
	spe := l.StepsPerEpoch()
	if epoch < 0 || step < 0 || step >= spe {
		return nil, fmt.Errorf("topdown: start at epoch %d step %d: want epoch ≥ 0, 0 ≤ step < %d", epoch, step, spe)
	}
	inner, cancel := context.WithCancel(ctx)
	it := &Iterator{parent: ctx, cancel: cancel, out: make(chan batchResult, l.cfg.Prefetch)}
	jobs := make(chan sampleJob, l.cfg.BatchSize)
	pending := make(chan *batchJob, l.cfg.Prefetch)

	it.done.Add(2 + l.cfg.Workers)
	go func() { // feeder: batches in order, their samples to the workers
		defer it.done.Done()
		defer close(jobs)
		defer close(pending)
		for e, s := epoch, step; l.cfg.Epochs == 0 || e < l.cfg.Epochs; e, s = e+1, 0 {
			order := l.Order(e)
			for ; s < spe; s++ {
				lo, hi := s*l.cfg.BatchSize, min((s+1)*l.cfg.BatchSize, len(order))
				b := &batchJob{epoch: e, step: s, batch: l.cfg.Sample.newBatch(hi - lo), errs: make([]error, hi-lo)}
				b.samples = b.batch.views()
				b.wg.Add(hi - lo)
				select {
				case pending <- b:
				case <-inner.Done():
					return
				}
				for slot := range hi - lo {
					select {
					case jobs <- sampleJob{b: b, slot: slot, pos: lo + slot, idx: order[lo+slot]}:
					case <-inner.Done():
						for rest := slot; rest < hi-lo; rest++ {
							b.errs[rest] = inner.Err()
							b.wg.Done()
						}
						return
					}
				}
			}
		}
	}()
	for range l.cfg.Workers {
		go func() {
			defer it.done.Done()
			for j := range jobs {
				j.b.errs[j.slot] = l.build(inner, j.b.samples[j.slot], j.b.epoch, j.pos, j.idx)
				j.b.wg.Done()
			}
		}()
	}
	go func() { // collator: batches out in order
		defer it.done.Done()
		defer close(it.out)
		for b := range pending {
			b.wg.Wait()
			r := batchResult{}
			for _, err := range b.errs {
				if err != nil {
					r.err = fmt.Errorf("topdown: epoch %d step %d: %w", b.epoch, b.step, err)
					break
				}
			}
			if r.err == nil {
				if r.err = b.batch.finish(b.samples); r.err == nil {
					r.batch = b.batch
					r.batch.Epoch, r.batch.Step = b.epoch, b.step
				}
			}
			select {
			case it.out <- r:
			case <-inner.Done():
				return
			}
			if r.err != nil {
				cancel()
				return
			}
		}
	}()
	return it, nil
}

// Next returns the next batch; io.EOF after the last epoch, the context's error once it is
// cancelled, or the first error met building a sample (after which the iterator is finished).
func (it *Iterator) Next() (*Batch, error) {
	if it.err != nil {
		return nil, it.err
	}
	r, ok := <-it.out
	switch {
	case it.parent.Err() != nil:
		it.err = it.parent.Err()
	case !ok:
		it.err = io.EOF
	case r.err != nil:
		it.err = r.err
	default:
		return r.batch, nil
	}
	return nil, it.err
}

// Close stops the workers and waits for them to exit. It is safe to call more than once.
func (it *Iterator) Close() {
	it.cancel()
	for range it.out {
	}
	it.done.Wait()
	if it.err == nil {
		it.err = fmt.Errorf("topdown: iterator closed")
	}
}
