package blazepose

import (
	"context"
	"fmt"
	"reflect"

	"github.com/gomlx/compute"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/tflite"
)

// Detector runs MediaPipe's pose_detection model and decodes its detections.
type Detector struct {
	// MinScore is the lowest detection score kept (MediaPipe uses 0.5).
	MinScore float64
	// NMSThreshold is the IoU above which detections are merged (MediaPipe uses 0.3).
	NMSThreshold float64

	runner  *tflite.Runner
	anchors []Anchor
}

// NewDetector loads pose_detection.tflite and prepares it for backend.
func NewDetector(backend compute.Backend, modelPath string) (*Detector, error) {
	data, err := modelstore.ReadModel(modelPath)
	if err != nil {
		return nil, fmt.Errorf("blazepose detector: %w", err)
	}
	m, err := tflite.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("blazepose detector %s: %w", modelPath, err)
	}
	net, err := tflite.NewNetwork(m)
	if err != nil {
		return nil, fmt.Errorf("blazepose detector %s: %w", modelPath, err)
	}
	anchors := DetectorAnchors().Anchors()
	n := len(anchors)
	wantIn := [][]int{{1, DetectorInputSize, DetectorInputSize, 3}}
	wantOut := [][]int{{1, n, detCoords}, {1, n, 1}}
	if got := shapes(net.Inputs()); !reflect.DeepEqual(got, wantIn) {
		return nil, fmt.Errorf("blazepose detector %s: input shapes %v, want %v", modelPath, got, wantIn)
	}
	if got := shapes(net.Outputs()); !reflect.DeepEqual(got, wantOut) {
		return nil, fmt.Errorf("blazepose detector %s: output shapes %v, want %v", modelPath, got, wantOut)
	}
	r, err := tflite.NewRunner(backend, net)
	if err != nil {
		return nil, fmt.Errorf("blazepose detector %s: %w", modelPath, err)
	}
	r.Name = modelPath
	return &Detector{MinScore: 0.5, NMSThreshold: 0.3, runner: r, anchors: anchors}, nil
}

// Run detects people in a 224×224×3 image with values in [−1, 1] (see Letterbox); the
// detections are in that image's normalised coordinates, best first.
func (d *Detector) Run(ctx context.Context, input []float32) ([]Detection, error) {
	if len(input) != DetectorInputSize*DetectorInputSize*3 {
		return nil, fmt.Errorf("blazepose detector: input has %d values, want %d", len(input), DetectorInputSize*DetectorInputSize*3)
	}
	outs, err := d.runner.Run(ctx, input)
	if err != nil {
		return nil, fmt.Errorf("blazepose detector: %w", err)
	}
	dets, err := DecodeDetections(outs[0], outs[1], d.anchors, d.MinScore)
	if err != nil {
		return nil, err
	}
	return WeightedNMS(dets, d.NMSThreshold), nil
}
