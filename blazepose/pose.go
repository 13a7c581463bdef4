// Package blazepose runs MediaPipe BlazePose through the pure-Go TFLite translation of package
// tflite: the person detector (pose_detection.tflite: SSD anchors, box and key-point decoding,
// weighted non-max suppression), the detection-to-crop step (a rotated square around the hips),
// and the landmark models (pose_landmark_{lite,full,heavy}.tflite) with their outputs decoded:
// 33 landmarks with visibility and presence, 6 auxiliary points, the pose score, world
// landmarks, heatmaps and segmentation logits. Pipeline chains them on single images.
//
// The landmark input is a 256×256 RGB crop in [0, 1] (NHWC, row-major), the detector's a
// 224×224 letterboxed image in [−1, 1]; Rect maps crop pixels back to the image.
package blazepose

import (
	"fmt"
	"math"

	"github.com/posedistill/posedistill/skeleton"
)

// InputSize is the side of the square crop the landmark models take.
const InputSize = 256

// Output layout of the landmark models.
const (
	NumLandmarks   = 33 // body landmarks, in skeleton.BlazePose33 order
	NumAuxiliary   = 6  // auxiliary points after the landmarks (ROI key points)
	numPoints      = NumLandmarks + NumAuxiliary
	HeatmapSize    = 64 // heatmaps are HeatmapSize² × numPoints
	numOutputs     = 5
	valuesPerLM    = 5 // x, y, z, visibility logit, presence logit
	valuesPerWorld = 3 // x, y, z in metres, hip-centred
)

// Landmark is one decoded point. X and Y are in crop pixels (0..InputSize), Z is depth on the
// same scale (smaller is closer to the camera, relative to the hips). Visibility and Presence
// are probabilities (the model's logits through a sigmoid).
type Landmark struct {
	X, Y, Z              float64
	Visibility, Presence float64
}

// Pose is the decoded output of a landmark model for one crop.
type Pose struct {
	// Landmarks are the 33 body points in skeleton.BlazePose33 order.
	Landmarks []Landmark
	// Auxiliary are the 6 extra points the pipeline uses to place the next frame's crop.
	Auxiliary []Landmark
	// Score is the probability that the crop holds a person (pose flag).
	Score float64
	// World holds the 39 points' 3D positions in metres ([x, y, z], origin between the hips).
	World [][3]float64
	// Heatmaps is HeatmapSize×HeatmapSize×39 (NHWC without batch), as the model gives it.
	Heatmaps []float32
	// Segmentation is InputSize×InputSize logits of the person mask (apply a sigmoid).
	Segmentation []float32
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// Decode turns the five raw outputs of a landmark model, in the model's order (Identity:
// 195 = 39×5 landmarks, Identity_1: pose flag, Identity_2: 256×256 segmentation, Identity_3:
// 64×64×39 heatmaps, Identity_4: 117 = 39×3 world landmarks), into a Pose.
func Decode(outputs [][]float32) (*Pose, error) {
	want := []int{numPoints * valuesPerLM, 1, InputSize * InputSize, HeatmapSize * HeatmapSize * numPoints, numPoints * valuesPerWorld}
	if len(outputs) != numOutputs {
		return nil, fmt.Errorf("blazepose decode: %d outputs, want %d", len(outputs), numOutputs)
	}
	for i, n := range want {
		if len(outputs[i]) != n {
			return nil, fmt.Errorf("blazepose decode: output %d has %d values, want %d", i, len(outputs[i]), n)
		}
	}
	p := &Pose{
		Score:        float64(outputs[1][0]),
		Segmentation: outputs[2],
		Heatmaps:     outputs[3],
		World:        make([][3]float64, numPoints),
	}
	raw := outputs[0]
	for i := 0; i < numPoints; i++ {
		v := raw[i*valuesPerLM:]
		lm := Landmark{X: float64(v[0]), Y: float64(v[1]), Z: float64(v[2]),
			Visibility: sigmoid(float64(v[3])), Presence: sigmoid(float64(v[4]))}
		if i < NumLandmarks {
			p.Landmarks = append(p.Landmarks, lm)
		} else {
			p.Auxiliary = append(p.Auxiliary, lm)
		}
		w := outputs[4][i*valuesPerWorld:]
		p.World[i] = [3]float64{float64(w[0]), float64(w[1]), float64(w[2])}
	}
	return p, nil
}

// Keypoints maps the landmarks onto another keypoint set (e.g. skeleton.COCO17()) by joint name,
// as [x, y, visibility] per joint of to; joints without a BlazePose counterpart are zero.
func (p *Pose) Keypoints(to *skeleton.Set) ([]float64, error) {
	m, err := skeleton.NewMapping(skeleton.BlazePose33(), to)
	if err != nil {
		return nil, fmt.Errorf("blazepose keypoints: %w", err)
	}
	vals := make([]float64, 0, 3*len(p.Landmarks))
	for _, lm := range p.Landmarks {
		vals = append(vals, lm.X, lm.Y, lm.Visibility)
	}
	out, err := m.Apply(vals, 3)
	if err != nil {
		return nil, fmt.Errorf("blazepose keypoints: %w", err)
	}
	return out, nil
}

// HeatmapsFor returns the model's heatmaps for the joints of another keypoint set (e.g.
// skeleton.COCO17()), as HeatmapSize×HeatmapSize×to.NumJoints() values (NHWC without batch);
// joints without a BlazePose counterpart get a zero channel. Heatmap cell (i, j) covers crop
// pixels 4i..4i+4 × 4j..4j+4 (the crop is 4× the heatmap).
func (p *Pose) HeatmapsFor(to *skeleton.Set) ([]float32, error) {
	if len(p.Heatmaps) != HeatmapSize*HeatmapSize*numPoints {
		return nil, fmt.Errorf("blazepose heatmaps: %d values, want %d", len(p.Heatmaps), HeatmapSize*HeatmapSize*numPoints)
	}
	m, err := skeleton.NewMapping(skeleton.BlazePose33(), to)
	if err != nil {
		return nil, fmt.Errorf("blazepose heatmaps: %w", err)
	}
	k := to.NumJoints()
	out := make([]float32, HeatmapSize*HeatmapSize*k)
	for cell := 0; cell < HeatmapSize*HeatmapSize; cell++ {
		for j, src := range m.Source {
			if src >= 0 {
				out[cell*k+j] = p.Heatmaps[cell*numPoints+src]
			}
		}
	}
	return out, nil
}
