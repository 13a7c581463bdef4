package distill

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/movenet"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/topdown"
)

// MoveNetTeacher is a single-person MoveNet model (Lightning or Thunder) used as a teacher.
//
// Conversion to the student's codec: each crop is un-normalised to 0–255 RGB, letterboxed
// (centred, zero-padded) into a square and resampled bilinearly to the model's input size (the
// student's crops are already person-centred boxes, so MoveNet's own crop logic is skipped); the
// 17 COCO keypoints are mapped by name onto the student's joints and from the square back to
// crop pixels, and re-rendered by the student's own codec with their peak scaled by MoveNet's
// confidence, as labelled joints when the confidence reaches MinConfidence, else as empty
// channels.
type MoveNetTeacher struct {
	Codec         *codec.Codec
	Mean, Std     [3]float32
	MinConfidence float64
	est           *movenet.Estimator
	mapping       *skeleton.Mapping
	digest        string
}

// NewMoveNetTeacher loads MoveNet model m (movenet.Lightning or movenet.Thunder) from its
// model.json at modelPath for a student whose crops follow sc (codec, normalisation, joints).
func NewMoveNetTeacher(be compute.Backend, modelPath string, m movenet.Model, sc topdown.Config) (*MoveNetTeacher, error) {
	if m == movenet.MultiPose {
		return nil, fmt.Errorf("movenet teacher: %s is not a single-person model", m)
	}
	est, err := movenet.New(be, modelPath, m)
	if err != nil {
		return nil, err
	}
	mp, err := skeleton.NewMapping(skeleton.COCO17(), sc.Joints)
	if err != nil {
		return nil, err
	}
	d, err := fileDigest(modelPath, strings.TrimSuffix(modelPath, filepath.Ext(modelPath))+".bin")
	if err != nil {
		return nil, err
	}
	return &MoveNetTeacher{Codec: sc.Codec, Mean: sc.Mean, Std: sc.Std, MinConfidence: 0.2, est: est, mapping: mp, digest: d}, nil
}

// ID names the model files (their SHA-256), the confidence threshold and the joints.
func (t *MoveNetTeacher) ID() string {
	return fmt.Sprintf("movenet-%s-c%g-%s", t.digest[:16], t.MinConfidence, t.mapping.To.Name)
}

// Look runs MoveNet on its own square crop of each view's region at the model's input size
// (View.TeacherCrop; MoveNet's normalised coordinates put pixel centres at +0.5) and returns the
// keypoints in image pixels with their confidences (see RegionTeacher).
func (t *MoveNetTeacher) Look(ctx context.Context, views []View) ([]Record, error) {
	size := t.est.InputSize()
	recs := make([]Record, len(views))
	for i, v := range views {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		crop, t2i, err := v.TeacherCrop(size, size, 0.5)
		if err != nil {
			return nil, fmt.Errorf("movenet teacher: %w", err)
		}
		in := make([]int32, len(crop))
		for p, c := range crop {
			in[p] = int32(c + 0.5)
		}
		raw, err := t.est.Infer(ctx, in, size, size)
		if err != nil {
			return nil, err
		}
		if len(raw) != 3*movenet.NumKeypoints {
			return nil, fmt.Errorf("movenet teacher: %d output values", len(raw))
		}
		k := t.mapping.To.NumJoints()
		rec := Record{Keypoints: make([]codec.Keypoint, k), Confidence: make([]float64, k), Mirrored: v.Flipped}
		for j, src := range t.mapping.Source {
			if src < 0 {
				continue
			}
			y, x, s := float64(raw[3*src]), float64(raw[3*src+1]), float64(raw[3*src+2])
			px, py := t2i.Apply(x*float64(size), y*float64(size))
			rec.Keypoints[j] = codec.Keypoint{X: px, Y: py}
			rec.Confidence[j] = s
			if s >= t.MinConfidence {
				rec.Keypoints[j].V = 2
			}
		}
		recs[i] = rec
	}
	return recs, nil
}

// Close releases nothing: the model's graphs live with its backend.
func (t *MoveNetTeacher) Close() {}

// Predict runs MoveNet on every crop (see MoveNetTeacher for the conversion).
func (t *MoveNetTeacher) Predict(ctx context.Context, images topdown.Tensor, heatH, heatW int) (TeacherOutput, error) {
	heat, err := keypointHeatmaps(ctx, "movenet teacher", t.Codec, t.mapping.To.NumJoints(), images, heatH, heatW,
		func(_ int, crop []float32, h, w int) ([]codec.Keypoint, []float64, error) {
			return t.one(ctx, crop, h, w)
		})
	return TeacherOutput{Heatmaps: heat}, err
}

// one runs MoveNet on one normalised crop and returns the student's joints in crop pixels (V 2
// when confident enough, else 0) and their confidences.
func (t *MoveNetTeacher) one(ctx context.Context, crop []float32, h, w int) ([]codec.Keypoint, []float64, error) {
	side := max(h, w)
	oy, ox := (side-h)/2, (side-w)/2
	square := make([]float32, side*side*3)
	for y := range h {
		for x := range w {
			for c := range 3 {
				square[((y+oy)*side+x+ox)*3+c] = min(max(crop[(y*w+x)*3+c]*t.Std[c]+t.Mean[c], 0), 255)
			}
		}
	}
	size := t.est.InputSize()
	rgb, err := resizeNHWC(square, 1, side, side, 3, size, size)
	if err != nil {
		return nil, nil, err
	}
	in := make([]int32, len(rgb))
	for i, v := range rgb {
		in[i] = int32(v)
	}
	raw, err := t.est.Infer(ctx, in, size, size)
	if err != nil {
		return nil, nil, err
	}
	if len(raw) != 3*movenet.NumKeypoints {
		return nil, nil, fmt.Errorf("movenet teacher: %d output values", len(raw))
	}
	k := t.mapping.To.NumJoints()
	kps := make([]codec.Keypoint, k)
	conf := make([]float64, k)
	for j, src := range t.mapping.Source {
		if src < 0 {
			continue
		}
		y, x, s := float64(raw[3*src]), float64(raw[3*src+1]), float64(raw[3*src+2])
		kps[j] = codec.Keypoint{X: x*float64(side) - float64(ox), Y: y*float64(side) - float64(oy)}
		conf[j] = s
		if s >= t.MinConfidence {
			kps[j].V = 2
		}
	}
	return kps, conf, nil
}
