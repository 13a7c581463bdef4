package train

import (
	"testing"

	backends "github.com/posedistill/posedistill/backend"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
)

// BenchmarkInference measures single-crop inference (batch 1, batch norm folded) of the shipped
// student and teacher configurations side by side on the go backend; latency does not depend on
// the weights' values.
func BenchmarkInference(b *testing.B) {
	for _, path := range []string{"../configs/student-mobilenetv2-synth.yaml", "../configs/teacher-simplebaseline-r18-synth.yaml"} {
		cfg, err := LoadConfig(path)
		if err != nil {
			b.Fatal(err)
		}
		net, err := cfg.Net()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(cfg.Name, func(b *testing.B) {
			backend, err := backends.New("go")
			if err != nil {
				b.Fatal(err)
			}
			defer backend.Finalize()
			p, err := nets.NewPredictor(backend, model.NewStore(), net)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Finalize()
			img := make([]float32, cfg.InputH*cfg.InputW*3)
			for i := range img {
				img[i] = float32(i%17) / 17
			}
			x := tensors.FromFlatDataAndDimensions(img, 1, cfg.InputH, cfg.InputW, 3)
			if _, err := p.Predict(x); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := p.Predict(x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
