package topdown

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"sync"

	"github.com/posedistill/posedistill/dataset"
)

// LoaderConfig configures a Loader.
type LoaderConfig struct {
	// Sample is how each instance becomes a sample.
	Sample Config
	// BatchSize is the number of samples per batch.
	BatchSize int
	// Workers is the number of goroutines building samples (at least 1).
	Workers int
	// Prefetch is the number of batches prepared ahead of the consumer (0 means 2).
	Prefetch int
	// Seed determines the epochs' order and every augmentation: the same seed gives the same
	// batches, whatever the number of workers.
	Seed uint64
	// Shuffle permutes the instances anew each epoch; otherwise they come in list order.
	Shuffle bool
	// DropLast drops an epoch's last batch when it would be smaller than BatchSize.
	DropLast bool
	// Epochs is the number of epochs after which Next reports io.EOF (0: no end).
	Epochs int
	// CacheBytes is the budget of decoded images kept in memory (0: no cache). 640×480 images take
	// 0.9 MB each.
	CacheBytes int64
	// LoadImage decodes an instance's image file (nil: dataset.LoadImageContext, the project's
	// image loader: regular files only, size limit checked before decoding, reads that stop when
	// the loader's context is cancelled).
	LoadImage func(path string) (image.Image, error)
	// LoadMask returns an instance's mask at image resolution when Sample.Mask is set (nil:
	// rasterize the annotation's segmentation; an instance without one gets mask weight 0).
	LoadMask func(inst Instance, width, height int) (*dataset.Mask, error)
	// Extend, when set, adds extra tensors (Sample.Extra) to each built sample, e.g. teacher
	// targets stored on disk; it must be deterministic and safe for concurrent use.
	Extend func(ctx context.Context, s *Sample, inst Instance) error
}

// Loader produces batches of samples from a list of instances with parallel workers.
type Loader struct {
	cfg       LoaderConfig
	instances []Instance
	cache     *imageCache
	load      func(ctx context.Context, path string) (image.Image, error)
	// pixels recycles decoded images' pixel memory when there is no cache.
	pixels sync.Pool
}

// NewLoader returns a loader over instances (which it does not modify).
func NewLoader(cfg LoaderConfig, instances []Instance) (*Loader, error) {
	if err := cfg.Sample.Validate(); err != nil {
		return nil, err
	}
	switch {
	case len(instances) == 0:
		return nil, errors.New("topdown: loader: no instances")
	case cfg.BatchSize <= 0:
		return nil, fmt.Errorf("topdown: loader: batch size %d", cfg.BatchSize)
	case cfg.Workers <= 0:
		return nil, fmt.Errorf("topdown: loader: %d workers", cfg.Workers)
	case cfg.Prefetch < 0 || cfg.Epochs < 0 || cfg.CacheBytes < 0:
		return nil, errors.New("topdown: loader: negative prefetch, epochs or cache size")
	case cfg.DropLast && len(instances) < cfg.BatchSize:
		return nil, fmt.Errorf("topdown: loader: %d instances make no full batch of %d", len(instances), cfg.BatchSize)
	}
	if cfg.Prefetch == 0 {
		cfg.Prefetch = 2
	}
	l := &Loader{cfg: cfg, instances: instances}
	if cfg.LoadImage == nil {
		l.load = dataset.LoadImageContext
	} else {
		l.load = func(_ context.Context, path string) (image.Image, error) { return cfg.LoadImage(path) }
	}
	if cfg.CacheBytes > 0 {
		l.cache = newImageCache(cfg.CacheBytes)
	}
	return l, nil
}

// StepsPerEpoch returns the number of batches in an epoch.
func (l *Loader) StepsPerEpoch() int {
	n, b := len(l.instances), l.cfg.BatchSize
	if l.cfg.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Order returns the instance indices of an epoch, in the order they are batched.
func (l *Loader) Order(epoch int) []int {
	if !l.cfg.Shuffle {
		idx := make([]int, len(l.instances))
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	return rand.New(rand.NewPCG(l.cfg.Seed, mix(0x5eed0f0e90c4, uint64(epoch)))).Perm(len(l.instances))
}

// CacheStats returns the image cache's hit and miss counts (zeros without a cache).
func (l *Loader) CacheStats() (hits, misses int64) {
	if l.cache == nil {
		return 0, 0
	}
	return l.cache.stats()
}

// mix returns a well-spread 64-bit value of (a, b) (SplitMix64's finaliser).
func mix(a, b uint64) uint64 {
	z := a*0x9e3779b97f4a7c15 + b + 0x632be59bd9b4e019
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// SampleAt builds the sample at position pos of epoch's order: what batch pos/BatchSize of that
// epoch holds in slot pos%BatchSize. Its randomness depends only on (Seed, epoch, pos).
func (l *Loader) SampleAt(ctx context.Context, epoch, pos int) (*Sample, error) {
	order := l.Order(epoch)
	if pos < 0 || pos >= len(order) {
		return nil, fmt.Errorf("topdown: position %d outside an epoch of %d", pos, len(order))
	}
	s := &Sample{}
	if err := l.build(ctx, s, epoch, pos, order[pos]); err != nil {
		return nil, err
	}
	return s, nil
}

// build fills s with the sample of instance idx at position pos of epoch.
func (l *Loader) build(ctx context.Context, s *Sample, epoch, pos, idx int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	inst := l.instances[idx]
	img, err := l.image(ctx, inst.ImagePath)
	if err != nil {
		return err
	}
	if l.cache == nil {
		defer l.pixels.Put(img)
	}
	var mask *dataset.Mask
	if l.cfg.Sample.Mask {
		if mask, err = l.mask(inst, img.W, img.H); err != nil {
			return fmt.Errorf("mask of annotation %d: %w", inst.Annotation.ID, err)
		}
	}
	rng := rand.New(rand.NewPCG(l.cfg.Seed, mix(uint64(epoch), uint64(pos))))
	if err := l.cfg.Sample.buildInto(s, inst, img, mask, rng); err != nil {
		return fmt.Errorf("%s: %w", inst.ImagePath, err)
	}
	if l.cfg.Extend != nil {
		if err := l.cfg.Extend(ctx, s, inst); err != nil {
			return fmt.Errorf("extend annotation %d: %w", inst.Annotation.ID, err)
		}
	}
	return nil
}

// image returns the decoded image of path, through the cache when there is one.
func (l *Loader) image(ctx context.Context, path string) (*RGB, error) {
	if l.cache != nil {
		if img, ok := l.cache.get(path); ok {
			return img, nil
		}
	}
	raw, err := l.load(ctx, path)
	if err != nil {
		return nil, err
	}
	var buf *RGB
	if l.cache == nil {
		buf, _ = l.pixels.Get().(*RGB)
	}
	img, err := toRGBInto(buf, raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if l.cache != nil {
		l.cache.put(path, img)
	}
	return img, nil
}

// mask returns an instance's mask at the image's resolution, or nil if it has none.
func (l *Loader) mask(inst Instance, w, h int) (*dataset.Mask, error) {
	if l.cfg.LoadMask != nil {
		return l.cfg.LoadMask(inst, w, h)
	}
	seg := inst.Annotation.Segmentation
	if seg == nil || (seg.RLE == nil && len(seg.Polygons) == 0) {
		return nil, nil
	}
	rle, err := seg.ToRLE(h, w)
	if err != nil {
		return nil, err
	}
	return rle.Decode()
}
