package topdown

import "context"

// FirstBatch returns the first batch (epoch 0, step 0) that a Loader with cfg produces from
// instances — the same bytes as the first Next of Start(ctx, 0, 0) — and stops the loader's
// goroutines before it returns. It serves code that needs one fixed batch: tests, calibration,
// a quick look at the crops.
func FirstBatch(ctx context.Context, cfg LoaderConfig, instances []Instance) (*Batch, error) {
	l, err := NewLoader(cfg, instances)
	if err != nil {
		return nil, err
	}
	it, err := l.Start(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	return it.Next()
}
