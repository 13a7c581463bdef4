package pseudolabel

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/train"
)

// BenchmarkUnlabeledStudentVsTeachers compares batch-1 inference of the unlabeled-distillation
// students (the MoVNect-0.5 at 128×96 with integral regression of
// configs/student-movnect-integral-synth.yaml, the grafted MoVNect 1.0 shapes at 128×96 and the
// default mobilenetv2 at 64×96; mask head included, initial weights: the cost does not depend on them) with BlazePose heavy, the
// senior (256×256), on the go backend in the same process: each round times every model once,
// in turn, so that a changing load hits them alike. It reports each model's median ms and how
// many times faster than heavy each student is (the bar: 20×). Skipped when BlazePose
// heavy is not in the cache (posedistill models fetch blazepose).
func BenchmarkUnlabeledStudentVsTeachers(b *testing.B) {
	be, err := backend.New("go")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(be.Finalize)
	cache, err := modelstore.DefaultCacheDir()
	if err != nil {
		b.Fatal(err)
	}
	path := modelstore.BlazePosePath(cache, modelstore.PoseLandmarkHeavy)
	if _, err := os.Stat(path); err != nil {
		b.Skipf("%s not fetched (posedistill models fetch blazepose)", path)
	}
	lm, err := blazepose.NewLandmarker(be, path)
	if err != nil {
		b.Fatal(err)
	}
	crop := make([]float32, blazepose.InputSize*blazepose.InputSize*3)
	for i := range crop {
		crop[i] = 0.5
	}
	movnect, err := train.LoadConfig(filepath.Join("..", "configs", "student-movnect-integral-synth.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	// The grafted students' shapes (models graft --width 1 --head-channels H: MoVNect 1.0 with
	// skips); biases instead of batch norm change nothing measurable here.
	grafted := func(head int) train.Config {
		cfg := movnect
		cfg.Codec = "unbiased"
		cfg.Model = train.ModelConfig{Arch: "movnect", Width: 1, HeadChannels: head, Skips: true}
		return cfg
	}
	mobilenet := train.DefaultConfig()
	mobilenet.InputW, mobilenet.InputH = 64, 96
	students := []struct {
		name string
		cfg  train.Config
	}{
		{"movnect0.5_128x96", movnect},
		{"movnect1.0_h128_skips_128x96", grafted(128)},
		{"movnect1.0_h64_skips_128x96", grafted(64)},
		{"mobilenetv2_64x96", mobilenet},
	}
	var names []string
	var runs []func() error
	for _, s := range students {
		names, runs = append(names, s.name), append(runs, studentRunner(b, be, s.cfg))
	}
	names, runs = append(names, "blazepose_heavy"), append(runs, func() error {
		_, err := lm.Run(context.Background(), crop)
		return err
	})
	ms := make([][]float64, len(runs))
	for i, f := range runs { // warm-up (graph compilation)
		if err := f(); err != nil {
			b.Fatalf("%s: %v", names[i], err)
		}
	}
	for b.Loop() {
		for i, f := range runs {
			t := time.Now()
			if err := f(); err != nil {
				b.Fatalf("%s: %v", names[i], err)
			}
			ms[i] = append(ms[i], float64(time.Since(t).Microseconds())/1000)
		}
	}
	med := make([]float64, len(ms))
	for i, m := range ms {
		slices.Sort(m)
		med[i] = m[len(m)/2]
		b.ReportMetric(med[i], names[i]+"_ms")
	}
	heavy := med[len(med)-1]
	for i, s := range students {
		b.ReportMetric(heavy/med[i], "heavy/"+s.name)
	}
}

// studentRunner builds cfg's network with the mask head (as distill-unlabeled trains it) and
// returns one batch-1 inference on a zero crop.
func studentRunner(b *testing.B, be compute.Backend, cfg train.Config) func() error {
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
	b.Cleanup(p.Finalize)
	img := tensors.FromFlatDataAndDimensions(make([]float32, cfg.InputH*cfg.InputW*3), 1, cfg.InputH, cfg.InputW, 3)
	return func() error {
		_, err := p.Predict(img)
		return err
	}
}
