package distill

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/posedistill/posedistill/backend"
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
