package pseudolabel

import (
	"os"
	"testing"

	"github.com/posedistill/posedistill/distill"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/train"
)

// BenchmarkUnlabeledStudentVsTeachers compares batch-1 inference of the unlabeled-distillation
// student (mobilenetv2 at 64×96, what "distill --images" trains by default; initial weights, the
// cost does not depend on them) with its BlazePose teachers' landmark models (256×256), all on
// the go backend in the same run. The BlazePose cases are skipped when the models are not in
// the cache (posedistill models fetch blazepose).
func BenchmarkUnlabeledStudentVsTeachers(b *testing.B) {
	be, err := backend.New("go")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(be.Finalize)
	b.Run("student_64x96", func(b *testing.B) {
		cfg := train.DefaultConfig()
		cfg.InputW, cfg.InputH = 64, 96
		net, err := cfg.Net()
		if err != nil {
			b.Fatal(err)
		}
		if net, err = distill.WithMaskHead(net); err != nil {
			b.Fatal(err)
		}
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, int64(1))
		p, err := nets.NewPredictor(be, store, net)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Finalize()
		img := tensors.FromFlatDataAndDimensions(make([]float32, cfg.InputH*cfg.InputW*3), 1, cfg.InputH, cfg.InputW, 3)
		if _, err := p.Predict(img); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := p.Predict(img); err != nil {
				b.Fatal(err)
			}
		}
	})
	cache, err := modelstore.DefaultCacheDir()
	if err != nil {
		b.Fatal(err)
	}
	crop := make([]float32, blazepose.InputSize*blazepose.InputSize*3)
	for i := range crop {
		crop[i] = 0.5
	}
	for _, m := range []struct{ name, file string }{
		{"blazepose_full", modelstore.PoseLandmarkFull}, {"blazepose_heavy", modelstore.PoseLandmarkHeavy},
	} {
		b.Run(m.name, func(b *testing.B) {
			path := modelstore.BlazePosePath(cache, m.file)
			if _, err := os.Stat(path); err != nil {
				b.Skipf("%s not fetched (posedistill models fetch blazepose)", path)
			}
			lm, err := blazepose.NewLandmarker(be, path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := lm.Run(b.Context(), crop); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := lm.Run(b.Context(), crop); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
