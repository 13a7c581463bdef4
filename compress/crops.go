package compress

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/topdown"
)

// Crops returns up to n top-down crops of instances (sc's plain crop: pass a Config without
// augmentation) in batches of batchSize, picked in an order shuffled by seed — the calibration images
// of post-training quantization. Take them from a split other than the one evaluated.
func Crops(ctx context.Context, sc topdown.Config, instances []topdown.Instance, n, batchSize int, seed uint64) ([]*tensors.Tensor, error) {
	if n < 1 || batchSize < 1 {
		return nil, fmt.Errorf("crops: %d crops in batches of %d", n, batchSize)
	}
	if len(instances) == 0 {
		return nil, fmt.Errorf("crops: no instances")
	}
	loader, err := topdown.NewLoader(topdown.LoaderConfig{Sample: sc, BatchSize: batchSize, Workers: 2,
		Seed: seed, Shuffle: true, Epochs: 1}, instances)
	if err != nil {
		return nil, fmt.Errorf("crops: %w", err)
	}
	it, err := loader.Start(ctx, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("crops: %w", err)
	}
	defer it.Close()
	var out []*tensors.Tensor
	for got := 0; got < n; {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("crops: %w", err)
		}
		k := min(b.Len(), n-got)
		s := b.Images.Shape
		per := s[1] * s[2] * s[3]
		data := append([]float32(nil), b.Images.Data[:k*per]...)
		out = append(out, tensors.FromFlatDataAndDimensions(data, k, s[1], s[2], s[3]))
		got += k
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("crops: the loader gave no batch")
	}
	return out, nil
}
