package distill

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/movenet"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/topdown"
)

// MoveNetTeacher is a MoveNet model (Lightning, Thunder or MultiPose) used as a teacher.
//
// Conversion to the student's codec: each crop is un-normalised to 0–255 RGB, letterboxed
// (centred, zero-padded) into a square and resampled bilinearly to the model's input size (the
// student's crops are already person-centred boxes, so MoveNet's own crop logic is skipped); the
// 17 COCO keypoints are mapped by name onto the student's joints and from the square back to
// crop pixels, and re-rendered by the student's own codec with their peak scaled by MoveNet's
// confidence, as labelled joints when the confidence reaches MinConfidence, else as empty
// channels. MultiPose sees the same square (256², a multiple of 32 as it needs) and finds up to
// six people in it: the teacher's person is the one the crop is centred on (centrePerson).
type MoveNetTeacher struct {
	Codec         *codec.Codec
	Mean, Std     [3]float32
	MinConfidence float64
	est           *movenet.Estimator
	mapping       *skeleton.Mapping
	digest        string
}

// NewMoveNetTeacher loads MoveNet model m (movenet.Lightning, movenet.Thunder or
// movenet.MultiPose) from its model.json at modelPath for a student whose crops follow sc
// (codec, normalisation, joints).
func NewMoveNetTeacher(be compute.Backend, modelPath string, m movenet.Model, sc topdown.Config) (*MoveNetTeacher, error) {
	if _, err := m.File(); err != nil {
		return nil, fmt.Errorf("movenet teacher: %w", err)
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
		raw, err := t.infer(ctx, in, size)
		if err != nil {
			return nil, err
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
	raw, err := t.infer(ctx, in, size)
	if err != nil {
		return nil, nil, err
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

// infer runs the model on a size×size RGB square and returns its person's 17 keypoints as the
// single-person models give them: (y, x, confidence), y and x in 0–1 of the square.
func (t *MoveNetTeacher) infer(ctx context.Context, in []int32, size int) ([]float32, error) {
	raw, err := t.est.Infer(ctx, in, size, size)
	if err != nil {
		return nil, fmt.Errorf("movenet teacher: %w", err)
	}
	if t.est.Model() == movenet.MultiPose {
		return centrePerson(raw)
	}
	if len(raw) != 3*movenet.NumKeypoints {
		return nil, fmt.Errorf("movenet teacher: %s gave %d output values, want %d", t.est.Model(), len(raw), 3*movenet.NumKeypoints)
	}
	return raw, nil
}

// centrePoseScore is the pose score from which a MultiPose person may be the crop's
// (TF.js pose-detection's default minimum pose score, movenet.Estimator.MinPoseScore).
const centrePoseScore = 0.25

// centrePerson returns, of MultiPose's output rows (movenet.MultiPoseRow values each: 17 × (y,
// x, confidence), the box y_min, x_min, y_max, x_max, the score; 0–1 of the input), the keypoints
// of the person the crop is centred on: of the people whose score reaches centrePoseScore, the
// one whose box centre is nearest the input's centre; when none does, the best-scored person
// (whose low confidences then label few joints, if any).
func centrePerson(raw []float32) ([]float32, error) {
	const row = movenet.MultiPoseRow
	if len(raw) == 0 || len(raw)%row != 0 {
		return nil, fmt.Errorf("movenet teacher: MultiPose gave %d output values, not rows of %d", len(raw), row)
	}
	best, bestD, top, topScore := -1, math.Inf(1), 0, float32(math.Inf(-1))
	for i := 0; i < len(raw); i += row {
		r := raw[i : i+row]
		score := r[row-1]
		if score > topScore {
			top, topScore = i, score
		}
		if float64(score) < centrePoseScore {
			continue
		}
		cy, cx := float64(r[51]+r[53])/2, float64(r[52]+r[54])/2
		if d := math.Hypot(cy-0.5, cx-0.5); d < bestD {
			best, bestD = i, d
		}
	}
	if best < 0 {
		best = top
	}
	return raw[best : best+3*movenet.NumKeypoints], nil
}
