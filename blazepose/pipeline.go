package blazepose

import (
	"context"
	"fmt"
	"image"

	"github.com/gomlx/compute"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/skeleton"
)

// ROIScale enlarges the detector's body circle into the landmark crop, as MediaPipe does.
const ROIScale = 1.25

// DetectionROI returns the landmark crop of a detection, in image pixels: centred on the hip
// centre (key point 0), a square of side 2·|kp1 − kp0|·ROIScale, rotated so that kp0→kp1
// points up in the crop. det is in the normalised coordinates of the detector input, which
// covered letterbox of the image.
func DetectionROI(det Detection, letterbox Rect) Rect {
	const s = DetectorInputSize
	x0, y0 := letterbox.ToImage(det.Keypoints[0][0]*s, det.Keypoints[0][1]*s, s)
	x1, y1 := letterbox.ToImage(det.Keypoints[1][0]*s, det.Keypoints[1][1]*s, s)
	return alignedROI(x0, y0, x1, y1, letterbox.Rotation)
}

// Person is one pose found in an image.
type Person struct {
	// Detection is the detector's output (normalised detector-input coordinates).
	Detection Detection
	// ROI is the landmark crop in image pixels.
	ROI Rect
	// Pose is the landmark model's output, positions in crop pixels.
	Pose *Pose
	// Landmarks are Pose.Landmarks with X, Y in image pixels (Z scaled to image pixels too).
	Landmarks []Landmark
}

// Pipeline is BlazePose on single images: detect people, crop each one, estimate landmarks.
type Pipeline struct {
	Detector   *Detector
	Landmarker *Landmarker
}

// NewPipeline loads the detector and the landmark model (modelstore.PoseLandmarkLite, Full or
// Heavy) from cacheDir, where modelstore.FetchBlazePose puts them.
func NewPipeline(backend compute.Backend, cacheDir, landmarkModel string) (*Pipeline, error) {
	det, err := NewDetector(backend, modelstore.BlazePosePath(cacheDir, modelstore.PoseDetection))
	if err != nil {
		return nil, err
	}
	lm, err := NewLandmarker(backend, modelstore.BlazePosePath(cacheDir, landmarkModel))
	if err != nil {
		return nil, err
	}
	return &Pipeline{Detector: det, Landmarker: lm}, nil
}

// Estimate finds the people in img and their landmarks in image pixels.
func (p *Pipeline) Estimate(ctx context.Context, img image.Image) ([]Person, error) {
	if img.Bounds().Empty() {
		return nil, fmt.Errorf("blazepose: empty image")
	}
	box := Letterbox(img)
	dets, err := p.Detector.Run(ctx, Crop(img, box, DetectorInputSize, -1, 1))
	if err != nil {
		return nil, err
	}
	var people []Person
	for _, d := range dets {
		person, err := p.Landmarks(ctx, img, DetectionROI(d, box))
		if err != nil {
			return nil, err
		}
		person.Detection = d
		people = append(people, person)
	}
	return people, nil
}

// Landmarks runs the landmark model on the crop roi of img (no detection): the tracking step of
// video, where the previous frame's landmarks give roi (see Person.LandmarksROI).
func (p *Pipeline) Landmarks(ctx context.Context, img image.Image, roi Rect) (Person, error) {
	pose, err := p.Landmarker.Run(ctx, Crop(img, roi, InputSize, 0, 1))
	if err != nil {
		return Person{}, err
	}
	person := Person{ROI: roi, Pose: pose}
	for _, lm := range pose.Landmarks {
		x, y := roi.ToImage(lm.X, lm.Y, InputSize)
		lm.X, lm.Y, lm.Z = x, y, lm.Z*roi.W/InputSize
		person.Landmarks = append(person.Landmarks, lm)
	}
	return person, nil
}

// Keypoints maps the person's landmarks (image pixels) onto another keypoint set (e.g.
// skeleton.COCO17()) as [x, y, visibility] per joint; joints without a counterpart are zero.
func (p Person) Keypoints(to *skeleton.Set) ([]float64, error) {
	return (&Pose{Landmarks: p.Landmarks}).Keypoints(to)
}
