package synth

import (
	"context"
	"fmt"
	"sync"
)

// Parallel runs work(i) for i in [0, n) on workers goroutines and hands the results to collect
// in index order, on the calling goroutine. At most 4·workers results wait for collection. The
// first error (from work, collect or ctx) stops the run and is returned.
func Parallel[T any](ctx context.Context, n, workers int, work func(i int) (T, error), collect func(i int, v T) error) error {
	if workers < 1 {
		workers = 1
	}
	if n <= 0 {
		return nil
	}
	type result struct {
		i   int
		v   T
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	window := make(chan struct{}, 4*workers)
	jobs := make(chan int)
	results := make(chan result, 4*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				v, err := work(i)
				select {
				case results <- result{i, v, err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range n {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() { cancel(); wg.Wait() }()
	pending := map[int]T{}
	next := 0
	for next < n {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case r := <-results:
			if r.err != nil {
				return fmt.Errorf("item %d: %w", r.i, r.err)
			}
			pending[r.i] = r.v
			for {
				v, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				if err := collect(next, v); err != nil {
					return err
				}
				next++
				<-window
			}
		}
	}
	return nil
}
