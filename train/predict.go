package train

import (
	"context"
	"fmt"
	"image"

	"github.com/gomlx/compute"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/topdown"
)

// Model is a trained network loaded from a run directory, ready for top-down inference.
// It is not safe for concurrent use.
type Model struct {
	Config     Config
	Net        *nets.Net
	Checkpoint string
	Info       CheckpointInfo
	predictor  *nets.Predictor
}

// LoadModel loads a run (LoadTrained) ready for inference.
func LoadModel(runDir string, backend compute.Backend) (*Model, error) {
	t, err := LoadTrained(runDir)
	if err != nil {
		return nil, err
	}
	p, err := t.Predictor(backend)
	if err != nil {
		return nil, err
	}
	return &Model{Config: t.Config, Net: t.Net, Checkpoint: t.Checkpoint, Info: t.Info, predictor: p}, nil
}

// Close releases the compiled graphs.
func (m *Model) Close() { m.predictor.Finalize() }

// PredictImage estimates one pose per box ([x, y, w, h] in image pixels; none means the whole
// image) and returns COCO results with imageID, in image pixels.
func (m *Model) PredictImage(ctx context.Context, img image.Image, imageID int64, boxes [][4]float64, flip bool) ([]dataset.Result, error) {
	rgb, err := topdown.ToRGB(img)
	if err != nil {
		return nil, err
	}
	if len(boxes) == 0 {
		boxes = [][4]float64{{0, 0, float64(rgb.W), float64(rgb.H)}}
	}
	sc, err := m.Config.SampleConfig(false)
	if err != nil {
		return nil, err
	}
	k := sc.Joints.NumJoints()
	samples := make([]*topdown.Sample, len(boxes))
	for i, b := range boxes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		inst := topdown.Instance{Annotation: dataset.Annotation{ID: int64(i + 1), ImageID: imageID, CategoryID: 1, BBox: b, Keypoints: make([]float64, 3*k)}}
		if samples[i], err = sc.Build(inst, rgb, nil, nil); err != nil {
			return nil, fmt.Errorf("box %d %v: %w", i, b, err)
		}
	}
	batch, err := sc.Collate(samples)
	if err != nil {
		return nil, err
	}
	return predictBatch(PredictorHeatmaps(m.predictor), sc, batch, len(samples), flip)
}
