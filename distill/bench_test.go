package distill

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// benchTeacher builds the ablation's primary teacher (SimpleBaseline-R18 ×0.25, 64×64) with
// initial weights: inference cost does not depend on the weights.
func benchTeacher(b *testing.B) (*NetTeacher, topdown.Tensor) {
	cfg, err := train.LoadConfig("../configs/odkd_primary.yaml")
	if err != nil {
		b.Fatal(err)
	}
	net, err := cfg.Net()
	if err != nil {
		b.Fatal(err)
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(1))
	be, err := backend.New("go")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(be.Finalize)
	p, err := nets.NewPredictor(be, store, net)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	img := topdown.Tensor{Shape: []int{12, cfg.InputH, cfg.InputW, 3}, Data: make([]float32, 12*cfg.InputH*cfg.InputW*3)}
	for i := range img.Data {
		img.Data[i] = float32(r.NormFloat64())
	}
	return &NetTeacher{Net: net, InputW: cfg.InputW, InputH: cfg.InputH, predictor: p}, img
}

// BenchmarkTeacherOutputs compares, per training batch of 12 crops, running the primary teacher
// on the fly with reading its outputs back from the content-addressed disk cache (warm).
func BenchmarkTeacherOutputs(b *testing.B) {
	t, img := benchTeacher(b)
	defer t.Close()
	ctx := context.Background()
	b.Run("on_the_fly", func(b *testing.B) {
		for b.Loop() {
			if _, err := t.Predict(ctx, img, 16, 16); err != nil {
				b.Fatal(err)
			}
		}
	})
	c := &DiskCached{ID: "bench", Dir: b.TempDir(), Teacher: t}
	if _, err := c.Predict(ctx, img, 16, 16); err != nil {
		b.Fatal(err)
	}
	b.Run("disk_cache_warm", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Predict(ctx, img, 16, 16); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRegionHookCachedVsLive compares, per training batch of 8 augmented 64×96 crops of
// four people in OpenCV's basketball photos, the teacher step of a distillation from BlazePose
// full: live (RegionHook runs the landmark model on each sample's own 256×256 crop of the
// original photo) and cached (its records, computed once per person by CacheRecords, warped
// to the crops). Both run in the same process, alternately; the metric live/cached is the
// ratio of their times.
func BenchmarkRegionHookCachedVsLive(b *testing.B) {
	const dir = "/usr/share/doc/opencv-doc/examples/data/"
	cache := testkit.BlazePoseCache(b)
	ctx := context.Background()
	cfg := train.DefaultConfig()
	cfg.InputW, cfg.InputH = 64, 96
	sc, err := SampleConfig(cfg, true, false, false)
	if err != nil {
		b.Fatal(err)
	}
	var insts []topdown.Instance
	for i, p := range []struct {
		file string
		box  [4]float64
	}{
		{"basketball1.png", [4]float64{30, 80, 140, 400}}, {"basketball1.png", [4]float64{360, 60, 160, 420}},
		{"basketball2.png", [4]float64{30, 80, 140, 400}}, {"basketball2.png", [4]float64{360, 60, 160, 420}},
	} {
		if _, err := os.Stat(dir + p.file); err != nil {
			b.Skip("opencv-doc photos not installed")
		}
		id := int64(1 + i/2)
		insts = append(insts, topdown.Instance{ImagePath: dir + p.file, Image: dataset.Image{ID: id},
			Annotation: dataset.Annotation{ID: int64(i + 1), ImageID: id, BBox: p.box, Keypoints: make([]float64, 51)}})
	}
	be := testkit.Backend(b)
	teacher, err := NewBlazePoseTeacher(be, modelstore.BlazePosePath(cache, modelstore.PoseLandmarkFull), sc)
	if err != nil {
		b.Fatal(err)
	}
	images := NewImages(insts, 0)
	rng := rand.New(rand.NewPCG(1, 1))
	samples := make([]*topdown.Sample, 8)
	for i := range samples {
		in := insts[i%len(insts)]
		img, err := images.Get(in.Image.ID)
		if err != nil {
			b.Fatal(err)
		}
		if samples[i], err = sc.Build(in, img, nil, rng); err != nil {
			b.Fatal(err)
		}
	}
	batch, err := sc.Collate(samples)
	if err != nil {
		b.Fatal(err)
	}
	records, err := CacheRecords(ctx, teacher, insts, images, sc, &RecordCache{Dir: b.TempDir()}, nil)
	if err != nil {
		b.Fatal(err)
	}
	att := []Attached{{Name: PrimaryName, Teacher: teacher}}
	live := RegionHook(att, nil, images, sc)
	cached := RegionHook(att, map[string]map[int64]Record{PrimaryName: records}, images, sc)
	for _, h := range []func(context.Context, int, *topdown.Batch) error{live, cached} { // warm up
		if err := h(ctx, 0, batch); err != nil {
			b.Fatal(err)
		}
	}
	var tLive, tCached time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := live(ctx, 0, batch); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := cached(ctx, 0, batch); err != nil {
			b.Fatal(err)
		}
		tLive, tCached = tLive+t1.Sub(t0), tCached+time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tLive.Microseconds())/1000/n, "live-ms/batch")
	b.ReportMetric(float64(tCached.Microseconds())/1000/n, "cached-ms/batch")
	b.ReportMetric(float64(tLive)/float64(tCached), "live/cached")
}
