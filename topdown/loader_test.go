package topdown

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/dataset"
)

// writeImages writes n seeded noise PNGs of 320×240 into dir and returns their paths.
func writeImages(t testing.TB, dir string, n int) []string {
	t.Helper()
	var paths []string
	for i := range n {
		src := noiseImage(320, 240, uint64(i+1))
		img := image.NewNRGBA(image.Rect(0, 0, src.W, src.H))
		for p := 0; p < src.W*src.H; p++ {
			copy(img.Pix[4*p:4*p+3], src.Pix[3*p:3*p+3])
			img.Pix[4*p+3] = 255
		}
		path := filepath.Join(dir, fmt.Sprintf("img%d.png", i))
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// testInstances returns n COCO instances spread over the images.
func testInstances(paths []string, n int) []Instance {
	var out []Instance
	for i := range n {
		inst := cocoInstance(int64(i+1), float64(20+i*13%150), float64(5+i*7%10))
		inst.ImagePath = paths[i%len(paths)]
		inst.Image.Width, inst.Image.Height = 320, 240
		out = append(out, inst)
	}
	return out
}

func testLoaderConfig(t testing.TB, workers int) LoaderConfig {
	cfg := testConfig(t, codec.UDP)
	aug := DefaultAugment()
	aug.Color = &ColorJitter{Brightness: 0.2, Contrast: 0.2, Saturation: 0.2}
	cfg.Augment = &aug
	return LoaderConfig{Sample: cfg, BatchSize: 4, Workers: workers, Seed: 42, Shuffle: true, Epochs: 2}
}

// collect runs an iterator to its end.
func collect(t *testing.T, l *Loader, epoch, step int) []*Batch {
	t.Helper()
	it, err := l.Start(context.Background(), epoch, step)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out []*Batch
	for {
		b, err := it.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

func sameBatch(a, b *Batch) error {
	if a.Epoch != b.Epoch || a.Step != b.Step {
		return fmt.Errorf("batch (%d, %d) vs (%d, %d)", a.Epoch, a.Step, b.Epoch, b.Step)
	}
	if !slices.Equal(a.AnnotationIDs, b.AnnotationIDs) || !slices.Equal(a.Flipped, b.Flipped) || !slices.Equal(a.ToImage, b.ToImage) {
		return fmt.Errorf("batch (%d, %d): different instances or transforms", a.Epoch, a.Step)
	}
	for _, p := range [][2]Tensor{{a.Images, b.Images}, {a.Heatmaps, b.Heatmaps}, {a.Weights, b.Weights}, {a.Masks, b.Masks}, {a.Keypoints, b.Keypoints}} {
		if !slices.Equal(p[0].Shape, p[1].Shape) || !slices.Equal(p[0].Data, p[1].Data) {
			return fmt.Errorf("batch (%d, %d): tensors differ", a.Epoch, a.Step)
		}
	}
	return nil
}

func TestLoaderDeterministicAcrossWorkers(t *testing.T) {
	paths := writeImages(t, t.TempDir(), 3)
	insts := testInstances(paths, 10)
	var runs [][]*Batch
	for _, workers := range []int{1, 2, 3} {
		l, err := NewLoader(testLoaderConfig(t, workers), insts)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, collect(t, l, 0, 0))
	}
	if len(runs[0]) != 6 { // 2 epochs × (4 + 4 + 2)
		t.Fatalf("%d batches, want 6", len(runs[0]))
	}
	if runs[0][2].Len() != 2 || !slices.Equal(runs[0][0].Images.Shape, []int{4, 256, 192, 3}) ||
		!slices.Equal(runs[0][0].Heatmaps.Shape, []int{4, 64, 48, 17}) || !slices.Equal(runs[0][0].Weights.Shape, []int{4, 17}) {
		t.Fatalf("shapes: last batch %d samples, images %v, heatmaps %v", runs[0][2].Len(), runs[0][0].Images.Shape, runs[0][0].Heatmaps.Shape)
	}
	for r := 1; r < len(runs); r++ {
		if len(runs[r]) != len(runs[0]) {
			t.Fatalf("run %d: %d batches, want %d", r, len(runs[r]), len(runs[0]))
		}
		for i := range runs[0] {
			if err := sameBatch(runs[0][i], runs[r][i]); err != nil {
				t.Errorf("%d workers: %v", r+1, err)
			}
		}
	}
	// The two epochs are shuffled differently and each covers every instance once.
	var e0, e1 []int64
	for _, b := range runs[0][:3] {
		e0 = append(e0, b.AnnotationIDs...)
	}
	for _, b := range runs[0][3:] {
		e1 = append(e1, b.AnnotationIDs...)
	}
	if slices.Equal(e0, e1) {
		t.Error("epochs 0 and 1 have the same order")
	}
	slices.Sort(e0)
	slices.Sort(e1)
	if !slices.Equal(e0, e1) || len(e0) != 10 || e0[0] != 1 || e0[9] != 10 {
		t.Errorf("epoch instances %v / %v", e0, e1)
	}
	// Building the first batch's samples one by one and collating them gives the same batch.
	l0, err := NewLoader(testLoaderConfig(t, 1), insts)
	if err != nil {
		t.Fatal(err)
	}
	var samples []*Sample
	for pos := range 4 {
		s, err := l0.SampleAt(context.Background(), 0, pos)
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, s)
	}
	cfg0 := testLoaderConfig(t, 1)
	collated, err := cfg0.Sample.Collate(samples)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameBatch(collated, runs[0][0]); err != nil {
		t.Errorf("collated samples: %v", err)
	}
	if kp := collated.Keypoints; !slices.Equal(kp.Shape, []int{4, 17, 3}) || kp.Data[3*17+3*5] != float32(samples[1].Keypoints[5].X) ||
		kp.Data[3*17+3*5+2] != float32(samples[1].Keypoints[5].V) {
		t.Errorf("batch keypoints %v do not hold the samples'", kp.Shape)
	}
	if _, err := cfg0.Sample.Collate([]*Sample{samples[0], {Image: samples[0].Image}}); err == nil {
		t.Error("collating an incomplete sample succeeded")
	}
	// Resuming at epoch 1 step 1 gives the same batches as the full run from there on.
	l, err := NewLoader(testLoaderConfig(t, 2), insts)
	if err != nil {
		t.Fatal(err)
	}
	resumed := collect(t, l, 1, 1)
	if len(resumed) != 2 {
		t.Fatalf("resumed run has %d batches, want 2", len(resumed))
	}
	for i, b := range resumed {
		if err := sameBatch(runs[0][4+i], b); err != nil {
			t.Errorf("resumed: %v", err)
		}
	}
	// Another seed gives other batches.
	cfg := testLoaderConfig(t, 2)
	cfg.Seed = 43
	l, err = NewLoader(cfg, insts)
	if err != nil {
		t.Fatal(err)
	}
	if sameBatch(collect(t, l, 0, 0)[0], runs[0][0]) == nil {
		t.Error("seeds 42 and 43 give the same first batch")
	}
}

func TestLoaderCacheGivesSameBatches(t *testing.T) {
	paths := writeImages(t, t.TempDir(), 2)
	insts := testInstances(paths, 6)
	plain, err := NewLoader(testLoaderConfig(t, 2), insts)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testLoaderConfig(t, 2)
	cfg.CacheBytes = 1 << 20 // one 320×240 image (230 kB) fits four times
	cached, err := NewLoader(cfg, insts)
	if err != nil {
		t.Fatal(err)
	}
	a, b := collect(t, plain, 0, 0), collect(t, cached, 0, 0)
	for i := range a {
		if err := sameBatch(a[i], b[i]); err != nil {
			t.Error(err)
		}
	}
	hits, misses := cached.CacheStats()
	if hits+misses != 12 || misses < 2 || hits == 0 {
		t.Errorf("cache hits %d misses %d, want 12 lookups with at least 2 misses and some hits", hits, misses)
	}
}

func TestLoaderCancelAndErrors(t *testing.T) {
	paths := writeImages(t, t.TempDir(), 2)
	insts := testInstances(paths, 8)

	// Cancellation: Next reports the context's error and Close returns.
	cfg := testLoaderConfig(t, 2)
	cfg.Epochs = 0 // endless
	l, err := NewLoader(cfg, insts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	it, err := l.Start(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := it.Next(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := it.Next(); !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %v, want context.Canceled", err)
	}
	it.Close()
	it.Close()

	// A missing image is reported with its path.
	bad := slices.Clone(insts)
	bad[5].ImagePath = filepath.Join(t.TempDir(), "missing.jpg")
	cfg = testLoaderConfig(t, 2)
	cfg.Shuffle = false
	l, err = NewLoader(cfg, bad)
	if err != nil {
		t.Fatal(err)
	}
	it, err = l.Start(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if _, err := it.Next(); err != nil {
		t.Fatalf("first batch: %v", err)
	}
	if _, err := it.Next(); err == nil || !strings.Contains(err.Error(), "missing.jpg") {
		t.Errorf("second batch: %v, want an error naming missing.jpg", err)
	}
	if _, err := it.Next(); err == nil {
		t.Error("iterator continued after an error")
	}

	// Invalid configurations and start positions.
	for _, edit := range []func(*LoaderConfig){
		func(c *LoaderConfig) { c.BatchSize = 0 },
		func(c *LoaderConfig) { c.Workers = 0 },
		func(c *LoaderConfig) { c.Sample.Padding = 0 },
		func(c *LoaderConfig) { c.BatchSize = 100; c.DropLast = true },
	} {
		c := testLoaderConfig(t, 1)
		edit(&c)
		if _, err := NewLoader(c, insts); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	if _, err := l.Start(context.Background(), 0, 99); err == nil {
		t.Error("start beyond the epoch accepted")
	}
}

func TestLoaderMasksAndExtras(t *testing.T) {
	paths := writeImages(t, t.TempDir(), 1)
	insts := testInstances(paths, 3)
	// Instance 1: a polygon around its body; instance 2: none.
	bb := insts[0].Annotation.BBox
	insts[0].Annotation.Segmentation = &dataset.Segmentation{Polygons: [][]float64{{
		bb[0], bb[1], bb[0] + bb[2], bb[1], bb[0] + bb[2], bb[1] + bb[3], bb[0], bb[1] + bb[3]}}}
	cfg := testLoaderConfig(t, 2)
	cfg.Sample.Augment = nil
	cfg.Sample.Mask = true
	cfg.Shuffle = false
	cfg.BatchSize = 3
	cfg.Epochs = 1
	cfg.Extend = func(ctx context.Context, s *Sample, inst Instance) error {
		s.Extra = map[string]Tensor{"teacher": {Shape: []int{2}, Data: []float32{float32(inst.Annotation.ID), 1}}}
		return nil
	}
	l, err := NewLoader(cfg, insts)
	if err != nil {
		t.Fatal(err)
	}
	bs := collect(t, l, 0, 0)
	if len(bs) != 1 {
		t.Fatalf("%d batches", len(bs))
	}
	b := bs[0]
	if !slices.Equal(b.Masks.Shape, []int{3, 64, 48, 1}) || !slices.Equal(b.MaskWeights.Data, []float32{1, 0, 0}) {
		t.Fatalf("masks %v weights %v", b.Masks.Shape, b.MaskWeights.Data)
	}
	// The box fills 1/1.25 of the crop's height: the mask covers about (1/1.25)² × (3/4 / w/h) of it.
	sum := 0.0
	for _, v := range b.Masks.Data[:64*48] {
		sum += float64(v)
	}
	frac := sum / (64 * 48)
	want := (1 / 1.25) * (100.0 / (225 * 0.75)) * (1 / 1.25)
	if math.Abs(frac-want) > 0.03 {
		t.Errorf("mask covers %.3f of the crop, want ≈ %.3f", frac, want)
	}
	if tt := b.Extra["teacher"]; !slices.Equal(tt.Shape, []int{3, 2}) || !slices.Equal(tt.Data, []float32{1, 1, 2, 1, 3, 1}) {
		t.Errorf("extra %+v", tt)
	}
}
