package blazepose

import (
	"context"
	"fmt"
	"reflect"

	"github.com/gomlx/compute"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/tflite"
)

// Landmarker runs one BlazePose landmark model.
type Landmarker struct {
	net    *tflite.Network
	runner *tflite.Runner
}

// NewLandmarker loads a pose_landmark_*.tflite model and prepares it for backend. It checks the
// model's input and outputs have the BlazePose landmark layout.
func NewLandmarker(backend compute.Backend, modelPath string) (*Landmarker, error) {
	data, err := modelstore.ReadModel(modelPath)
	if err != nil {
		return nil, fmt.Errorf("blazepose landmarker: %w", err)
	}
	m, err := tflite.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("blazepose landmarker %s: %w", modelPath, err)
	}
	net, err := tflite.NewNetwork(m)
	if err != nil {
		return nil, fmt.Errorf("blazepose landmarker %s: %w", modelPath, err)
	}
	wantIn := [][]int{{1, InputSize, InputSize, 3}}
	wantOut := [][]int{{1, numPoints * valuesPerLM}, {1, 1}, {1, InputSize, InputSize, 1},
		{1, HeatmapSize, HeatmapSize, numPoints}, {1, numPoints * valuesPerWorld}}
	if got := shapes(net.Inputs()); !reflect.DeepEqual(got, wantIn) {
		return nil, fmt.Errorf("blazepose landmarker %s: input shapes %v, want %v", modelPath, got, wantIn)
	}
	if got := shapes(net.Outputs()); !reflect.DeepEqual(got, wantOut) {
		return nil, fmt.Errorf("blazepose landmarker %s: output shapes %v, want %v", modelPath, got, wantOut)
	}
	r, err := tflite.NewRunner(backend, net)
	if err != nil {
		return nil, fmt.Errorf("blazepose landmarker %s: %w", modelPath, err)
	}
	r.Name = modelPath
	return &Landmarker{net: net, runner: r}, nil
}

func shapes(ts []tflite.Tensor) [][]int {
	out := make([][]int, len(ts))
	for i, t := range ts {
		out[i] = t.Shape
	}
	return out
}

// Run estimates the pose in a 256×256×3 crop with values in [0, 1].
func (l *Landmarker) Run(ctx context.Context, crop []float32) (*Pose, error) {
	if len(crop) != InputSize*InputSize*3 {
		return nil, fmt.Errorf("blazepose landmarker: crop has %d values, want %d", len(crop), InputSize*InputSize*3)
	}
	outs, err := l.runner.Run(ctx, crop)
	if err != nil {
		return nil, fmt.Errorf("blazepose landmarker: %w", err)
	}
	return Decode(outs)
}
