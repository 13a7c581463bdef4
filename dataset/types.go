// Package dataset reads and writes COCO-format keypoint datasets (as COCO and OCHuman ship them),
// results files, instance masks (polygons and pycocotools-compatible RLE), and posedistill's 3D
// extension: per-annotation 3D joints and per-image camera intrinsics in extra fields that COCO
// tools ignore.
package dataset

import "encoding/json"

// Dataset is a COCO keypoint annotation file.
type Dataset struct {
	Info        map[string]any `json:"info,omitempty"`
	Licenses    []any          `json:"licenses,omitempty"`
	Images      []Image        `json:"images"`
	Annotations []Annotation   `json:"annotations"`
	Categories  []Category     `json:"categories"`
}

// Image is one entry of a dataset's "images" list.
type Image struct {
	ID       int64  `json:"id"`
	FileName string `json:"file_name"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`

	// Camera holds the intrinsics of the camera that took the image (posedistill extension).
	Camera *Camera `json:"camera,omitempty"`
	// SequenceID groups the frames of one video sequence (posedistill extension; 0 = none).
	SequenceID int64 `json:"sequence_id,omitempty"`
	// FrameIndex is the frame's position in its sequence (posedistill extension).
	FrameIndex int `json:"frame_index,omitempty"`
	// Timestamp is the frame's time in seconds (posedistill extension).
	Timestamp float64 `json:"timestamp,omitempty"`

	// Extra keeps the fields this type does not name (COCO's license, coco_url, flickr_url,
	// date_captured, …) as one compact JSON object, keys sorted, so that writing a dataset back
	// loses nothing. Nil when there are none.
	Extra json.RawMessage `json:"-"`
}

// Camera is a pinhole camera's intrinsics in pixels: a 3D point (X, Y, Z) in camera coordinates
// (millimetres, Z forward, Y down) projects to (Fx·X/Z + Cx, Fy·Y/Z + Cy).
type Camera struct {
	Fx float64 `json:"fx"`
	Fy float64 `json:"fy"`
	Cx float64 `json:"cx"`
	Cy float64 `json:"cy"`
}

// Annotation is one person (or crowd region) of a dataset's "annotations" list.
type Annotation struct {
	ID           int64         `json:"id"`
	ImageID      int64         `json:"image_id"`
	CategoryID   int           `json:"category_id"`
	IsCrowd      int           `json:"iscrowd"`
	NumKeypoints int           `json:"num_keypoints"`
	Area         float64       `json:"area"`
	BBox         [4]float64    `json:"bbox"` // x, y, width, height
	Keypoints    []float64     `json:"keypoints"`
	Segmentation *Segmentation `json:"segmentation,omitempty"`

	// Joints3D holds x, y, z in millimetres, camera coordinates, per joint of the 3D keypoint set
	// (posedistill extension).
	Joints3D []float64 `json:"joints_3d,omitempty"`
	// TrackID identifies the same person across the frames of a sequence (posedistill extension).
	TrackID int64 `json:"track_id,omitempty"`
}

// Category is one entry of a dataset's "categories" list.
type Category struct {
	ID            int      `json:"id"`
	Name          string   `json:"name"`
	Supercategory string   `json:"supercategory,omitempty"`
	Keypoints     []string `json:"keypoints,omitempty"`
	Skeleton      [][2]int `json:"skeleton,omitempty"` // 1-based joint index pairs
}

// Result is one detection of a COCO keypoint results file.
type Result struct {
	ImageID    int64     `json:"image_id"`
	CategoryID int       `json:"category_id"`
	Keypoints  []float64 `json:"keypoints"` // x, y, score per joint
	Score      float64   `json:"score"`
	// TrackID identifies a person across frames in video results (posedistill extension).
	TrackID int64 `json:"track_id,omitempty"`
}

// Segmentation is an annotation's mask: either polygons or a run-length encoding.
type Segmentation struct {
	// Polygons are closed outlines, each x0, y0, x1, y1, … in pixels.
	Polygons [][]float64
	// RLE is set for run-length encoded masks (crowd regions, rendered instances).
	RLE *RLE
}

// RLE is a pycocotools run-length encoding: runs alternate 0s and 1s, starting with 0s, over the
// mask's pixels in column-major (Fortran) order.
type RLE struct {
	Height, Width int
	Counts        []uint32
	// Compressed selects the JSON form: true writes counts as pycocotools' compressed string, false
	// as a list of integers. Reading sets it to the form found in the file, so a file is written
	// back in the form it was read.
	Compressed bool
}

// Mask is a binary image, row-major: pixel (x, y) is Pix[y*Width+x], 0 or 1.
type Mask struct {
	Width, Height int
	Pix           []uint8
}
