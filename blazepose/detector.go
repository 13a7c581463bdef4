package blazepose

import (
	"context"
	"fmt"
	"reflect"

	"github.com/gomlx/compute"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/tflite"
)

// Detector runs MediaPipe's pose_detection model and decodes its detections: its network
// imported as a nets.Net (see ImportDetectorNet), built by package nets with the model's
// weights; the anchor decoding (DecodeDetections) and non-maximum suppression stay in Go.
type Detector struct {
	// MinScore is the lowest detection score kept (MediaPipe uses 0.5).
	MinScore float64
	// NMSThreshold is the IoU above which detections are merged (MediaPipe uses 0.3).
	NMSThreshold float64

	part    *tflite.NetPart
	runner  *tflite.NetRunner
	anchors []Anchor
}

// ImportDetectorNet reads pose_detection.tflite and returns its network as a nets.Net with the
// model's weights (tflite.NetPart). The model's two outputs, box-and-keypoint regressors
// [1, 2254, 12] and score logits [1, 2254, 1], each concatenate three feature levels (28×28,
// 14×14 and 7×7 cells with 2, 2 and 6 anchors): NetPart.Outputs lists the levels' layers. The
// finest level's score logits (28×28×2) stand as the description's heatmap head (it has no
// heatmaps: a per-cell person score map is the closest thing); the other five layers are extra
// heads (regressors of the three levels, then the coarser two levels' scores).
func ImportDetectorNet(modelPath string) (*tflite.NetPart, error) {
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
	n := len(DetectorAnchors().Anchors())
	wantIn := [][]int{{1, DetectorInputSize, DetectorInputSize, 3}}
	wantOut := [][]int{{1, n, detCoords}, {1, n, 1}}
	if got := shapes(net.Inputs()); !reflect.DeepEqual(got, wantIn) {
		return nil, fmt.Errorf("blazepose detector %s: input shapes %v, want %v", modelPath, got, wantIn)
	}
	if got := shapes(net.Outputs()); !reflect.DeepEqual(got, wantOut) {
		return nil, fmt.Errorf("blazepose detector %s: output shapes %v, want %v", modelPath, got, wantOut)
	}
	part, err := net.ImportNet("blazepose-detector", 3, -1)
	if err != nil {
		return nil, fmt.Errorf("blazepose detector %s: %w", modelPath, err)
	}
	if len(part.Outputs) != 2 || len(part.Outputs[0]) != 3 || len(part.Outputs[1]) != 3 {
		return nil, fmt.Errorf("blazepose detector %s: outputs hold layers %v, want three levels each", modelPath, part.Outputs)
	}
	return part, nil
}

// NewDetector loads pose_detection.tflite and prepares it for backend.
func NewDetector(backend compute.Backend, modelPath string) (*Detector, error) {
	part, err := ImportDetectorNet(modelPath)
	if err != nil {
		return nil, err
	}
	store, err := part.NewStore()
	if err != nil {
		return nil, fmt.Errorf("blazepose detector %s: %w", modelPath, err)
	}
	r, err := tflite.NewNetRunner(backend, part, store)
	if err != nil {
		return nil, fmt.Errorf("blazepose detector %s: %w", modelPath, err)
	}
	r.Name = modelPath
	return &Detector{MinScore: 0.5, NMSThreshold: 0.3, part: part, runner: r, anchors: DetectorAnchors().Anchors()}, nil
}

// Net returns the detector network the detector runs, as imported.
func (d *Detector) Net() *tflite.NetPart { return d.part }

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
