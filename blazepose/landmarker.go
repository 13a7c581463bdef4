package blazepose

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/tflite"
)

// Landmarker runs one BlazePose landmark model: its network imported as a nets.Net (see
// tflite.ImportNet), built by package nets with the model's weights, or a fine-tuned copy's,
// as variables; the landmark decoding (Decode) reads the network's extra heads.
type Landmarker struct {
	part   *tflite.NetPart
	runner *tflite.NetRunner
}

// NewLandmarker loads a pose_landmark_*.tflite model and prepares it for backend. It checks the
// model's input and outputs have the BlazePose landmark layout.
func NewLandmarker(backend compute.Backend, modelPath string) (*Landmarker, error) {
	return NewLandmarkerWith(backend, modelPath, nil)
}

// ImportLandmarkNet reads a pose_landmark_*.tflite model and returns its network as a nets.Net
// with the model's weights (tflite.NetPart): heatmap head the 64×64×39 heatmaps, mask head the
// segmentation logits, extra heads the landmarks, pose flag (its sigmoid the layer's activation)
// and world landmarks, in the model's output order.
func ImportLandmarkNet(modelPath string) (*tflite.NetPart, error) {
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
	part, err := net.ImportNet(landmarkNetName(modelPath), 3, 2)
	if err != nil {
		return nil, fmt.Errorf("blazepose landmarker %s: %w", modelPath, err)
	}
	return part, nil
}

// landmarkNetName names the imported network after the model file: "blazepose-full" for
// pose_landmark_full.tflite.
func landmarkNetName(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return "blazepose-" + strings.TrimPrefix(base, "pose_landmark_")
}

// NewLandmarkerWith is NewLandmarker with the network's variables taken from store (a fine-tuned
// copy of the imported network, see ImportLandmarkNet) instead of the model's weights when store
// is not nil.
func NewLandmarkerWith(backend compute.Backend, modelPath string, store *model.Store) (*Landmarker, error) {
	part, err := ImportLandmarkNet(modelPath)
	if err != nil {
		return nil, err
	}
	if store == nil {
		if store, err = part.NewStore(); err != nil {
			return nil, fmt.Errorf("blazepose landmarker %s: %w", modelPath, err)
		}
	}
	r, err := tflite.NewNetRunner(backend, part, store)
	if err != nil {
		return nil, fmt.Errorf("blazepose landmarker %s: %w", modelPath, err)
	}
	r.Name = modelPath
	return &Landmarker{part: part, runner: r}, nil
}

// Net returns the landmark network the landmarker runs, as imported.
func (l *Landmarker) Net() *tflite.NetPart { return l.part }

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
