package blazepose

import (
	"encoding/json"
	"io"

	"fmt"
	"github.com/posedistill/posedistill/atomicfile"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
)

// Result is a COCO keypoint result (COCO-17 keypoints, image pixels) extended with what
// BlazePose gives beyond COCO: the 33 landmarks, the world landmarks, the box and, in video, the
// frame time. It marshals as one flat JSON object, readable by any COCO results reader; package
// pose writes every model's people in this format (pose.Record), without the landmarks when a
// model has none.
type Result struct {
	dataset.Result
	// BBox is the box around the visible landmarks (x, y, width, height), image pixels.
	BBox [4]float64 `json:"bbox"`
	// Landmarks are the 33 BlazePose landmarks as [x, y, z, visibility, presence]: x, y in image
	// pixels, z on the same scale relative to the hips (smaller is nearer).
	Landmarks [][5]float64 `json:"landmarks,omitempty"`
	// WorldLandmarks are the 33 landmarks as [x, y, z] in metres, origin between the hips.
	WorldLandmarks [][3]float64 `json:"world_landmarks,omitempty"`
	// Timestamp is the frame time in seconds (video only).
	Timestamp *float64 `json:"timestamp,omitempty"`
}

// Result converts the person into a results record for imageID: the keypoints mapped onto
// COCO-17 with the landmark visibility as keypoint score, and score the detection score (1 when
// the person was tracked, not detected) times the pose flag.
func (p Person) Result(imageID int64, categoryID int) (Result, error) {
	if p.Pose == nil || len(p.Landmarks) != NumLandmarks || len(p.Pose.World) < NumLandmarks {
		return Result{}, fmt.Errorf("blazepose result: person without %d landmarks", NumLandmarks)
	}
	kp, err := p.Keypoints(skeleton.COCO17())
	if err != nil {
		return Result{}, err
	}
	score := p.Pose.Score
	if p.Detection.Score > 0 {
		score *= p.Detection.Score
	}
	r := Result{Result: dataset.Result{ImageID: imageID, CategoryID: categoryID, Keypoints: kp, Score: score}}
	r.BBox, _ = BBox(p.Landmarks, 0)
	for i, l := range p.Landmarks {
		r.Landmarks = append(r.Landmarks, [5]float64{l.X, l.Y, l.Z, l.Visibility, l.Presence})
		r.WorldLandmarks = append(r.WorldLandmarks, p.Pose.World[i])
	}
	return r, nil
}

// WriteResults writes results as a JSON array (EncodeResults) atomically.
func WriteResults(path string, results []Result) error {
	return atomicfile.Write(path, func(w io.Writer) error { return EncodeResults(w, results) })
}

// EncodeResults writes results as a JSON array (COCO results format with the extra fields), one
// record per line.
func EncodeResults(w io.Writer, results []Result) error {
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	for i := range results {
		b, err := json.Marshal(&results[i])
		if err != nil {
			return fmt.Errorf("result %d (image %d): %w", i, results[i].ImageID, err)
		}
		sep := ",\n"
		if i == 0 {
			sep = "\n"
		}
		if _, err := io.WriteString(w, sep+string(b)); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\n]\n")
	return err
}
