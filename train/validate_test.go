package train

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/topdown"
)

// TestPredictPathWithOracleHeatmaps feeds the validation path the GT heatmaps of each crop (and,
// for the flip test, their mirror) in place of a network: decoding, mapping back to image pixels
// and COCO evaluation must then score high AP, and a network that outputs nothing useful (all
// zeros) near none. The oracle is not perfect: these people are 20–40 px tall in 64×64 images and
// one heatmap pixel is 4 crop pixels, which OKS punishes on persons this small.
func TestPredictPathWithOracleHeatmaps(t *testing.T) {
	data := testData(t)
	cfg := tinyConfig()
	cfg.InputW, cfg.InputH, cfg.Sigma = 64, 64, 2
	sc, err := cfg.SampleConfig(false)
	if err != nil {
		t.Fatal(err)
	}
	split, err := ReadSplit(context.Background(), data, "train.json")
	if err != nil {
		t.Fatal(err)
	}
	params, err := eval.COCOParamsFor(sc.Joints)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 4
	k := sc.Joints.NumJoints()
	for _, tc := range []struct {
		name     string
		flip     bool
		zeros    bool
		min, max float64
	}{
		{"oracle", false, false, 0.5, 1},
		{"oracle with flip test", true, false, 0.5, 1},
		{"zeros", false, true, 0, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loader, err := topdown.NewLoader(topdown.LoaderConfig{Sample: sc, BatchSize: batch, Workers: 1, Epochs: 1}, split.Instances)
			if err != nil {
				t.Fatal(err)
			}
			it, err := loader.Start(context.Background(), 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer it.Close()
			var results []dataset.Result
			for {
				b, err := it.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				gt := padBatch(b.Heatmaps, batch).Data
				calls := 0
				oracle := func(images topdown.Tensor) ([]float32, error) {
					calls++
					if tc.zeros {
						return make([]float32, len(gt)), nil
					}
					if calls == 1 {
						return append([]float32(nil), gt...), nil
					}
					// The mirrored crop's heatmaps: what flipping back must undo.
					return sc.Codec.FlipHeatmaps(gt, batch, k, sc.Joints.FlipIndex())
				}
				res, err := predictBatch(oracle, sc, b, batch, tc.flip)
				if err != nil {
					t.Fatal(err)
				}
				results = append(results, res...)
			}
			if len(results) != len(split.Instances) {
				t.Fatalf("%d results for %d instances", len(results), len(split.Instances))
			}
			rep, err := eval.EvaluateCOCO(context.Background(), split.Data, results, params)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("AP %.3f", rep.Stats.AP)
			if ap := rep.Stats.AP; !(ap >= tc.min && ap <= tc.max) {
				t.Errorf("AP %.3f, want in [%v, %v]", ap, tc.min, tc.max)
			}
		})
	}
}
