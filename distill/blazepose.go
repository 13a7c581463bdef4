package distill

import (
	"context"
	"fmt"
	"math"

	"github.com/gomlx/compute"

	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/topdown"
)

// BlazePoseTeacher is MediaPipe's BlazePose landmark model used as a teacher (keypoints and the
// person mask, so it can serve as ODKD's senior teacher).
//
// Conversion to the student's codec: each crop is un-normalised to [0, 1] RGB and resampled
// bilinearly to 256×256 (the student's crops are already person-centred boxes, so BlazePose's
// detector is skipped); the 33 landmarks are mapped by name onto COCO-17 and from 256-crop pixels
// to student-crop pixels, and re-rendered by the student's own codec (its gaussian, sigma and
// sub-pixel convention) as labelled joints when their visibility (sigmoid) reaches
// MinVisibility, else as empty channels. BlazePose's own 64×64 heatmaps are not used: their
// scale and spread follow another convention. The segmentation logits are resampled to the
// student's heatmap size and passed through a sigmoid.
//
// Look (RegionTeacher), what training uses, gives it instead its own 256×256 square crop of the
// original image around the student's region (View.TeacherCrop, MediaPipe's pixel centres) and
// returns the landmarks in image pixels with a 64×64 pooled mask.
type BlazePoseTeacher struct {
	Codec         *codec.Codec
	Mean, Std     [3]float32
	MinVisibility float64
	lm            *blazepose.Landmarker
	mapping       *skeleton.Mapping
	digest        string
}

// NewBlazePoseTeacher loads a pose_landmark_*.tflite model for a student whose crops follow sc
// (codec, normalisation, COCO-17 joints).
func NewBlazePoseTeacher(be compute.Backend, modelPath string, sc topdown.Config) (*BlazePoseTeacher, error) {
	lm, err := blazepose.NewLandmarker(be, modelPath)
	if err != nil {
		return nil, err
	}
	m, err := skeleton.NewMapping(skeleton.BlazePose33(), sc.Joints)
	if err != nil {
		return nil, err
	}
	d, err := fileDigest(modelPath)
	if err != nil {
		return nil, err
	}
	return &BlazePoseTeacher{Codec: sc.Codec, Mean: sc.Mean, Std: sc.Std, MinVisibility: 0.5, lm: lm, mapping: m, digest: d}, nil
}

// ID names the model file (its SHA-256), the visibility threshold and the joints.
func (t *BlazePoseTeacher) ID() string {
	return fmt.Sprintf("blazepose-%s-v%g-%s", t.digest[:16], t.MinVisibility, t.mapping.To.Name)
}

// blazeMaskPool is the factor the 256×256 segmentation is pooled by in records (64×64 masks).
const blazeMaskPool = 4

// Look runs BlazePose on its own crop of each view's region (see RegionTeacher).
func (t *BlazePoseTeacher) Look(ctx context.Context, views []View) ([]Record, error) {
	recs := make([]Record, len(views))
	const size = blazepose.InputSize
	for i, v := range views {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		crop, t2i, err := v.TeacherCrop(size, size, 0.5)
		if err != nil {
			return nil, fmt.Errorf("blazepose teacher: %w", err)
		}
		for p := range crop {
			crop[p] /= 255
		}
		pose, err := t.lm.Run(ctx, crop)
		if err != nil {
			return nil, err
		}
		rec := Record{Keypoints: make([]codec.Keypoint, t.mapping.To.NumJoints()), Mirrored: v.Flipped}
		for j, src := range t.mapping.Source {
			if src < 0 {
				continue
			}
			lm := pose.Landmarks[src]
			x, y := t2i.Apply(lm.X, lm.Y)
			rec.Keypoints[j] = codec.Keypoint{X: x, Y: y}
			if lm.Visibility >= t.MinVisibility {
				rec.Keypoints[j].V = 2
			}
		}
		seg := make([]float32, len(pose.Segmentation))
		for p, l := range pose.Segmentation {
			seg[p] = float32(1 / (1 + math.Exp(-float64(l))))
		}
		f := float64(blazeMaskPool)
		rec.Mask, rec.MaskW, rec.MaskH = poolMask(seg, size, blazeMaskPool), size/blazeMaskPool, size/blazeMaskPool
		// Pooled pixel i covers crop pixels [i·f, (i+1)·f), whose centres are at teacher coordinate i·f + f/2.
		rec.MaskToImage = topdown.Affine{f, 0, f / 2, 0, f, f / 2}.Then(t2i)
		recs[i] = rec
	}
	return recs, nil
}

// Landmarker returns the BlazePose landmark model the teacher runs.
func (t *BlazePoseTeacher) Landmarker() *blazepose.Landmarker { return t.lm }

// Close releases nothing: the landmarker's graphs live with its backend.
func (t *BlazePoseTeacher) Close() {}

// Predict runs BlazePose on every crop (see BlazePoseTeacher for the conversion).
func (t *BlazePoseTeacher) Predict(ctx context.Context, images topdown.Tensor, heatH, heatW int) (TeacherOutput, error) {
	var mask []float32
	heat, err := keypointHeatmaps(ctx, "blazepose teacher", t.Codec, t.mapping.To.NumJoints(), images, heatH, heatW,
		func(_ int, crop []float32, h, w int) ([]codec.Keypoint, []float64, error) {
			kps, seg, err := t.one(ctx, crop, h, w)
			if err != nil {
				return nil, nil, err
			}
			m, err := resizeNHWC(seg, 1, blazepose.InputSize, blazepose.InputSize, 1, heatH, heatW)
			if err != nil {
				return nil, nil, err
			}
			for j, v := range m {
				m[j] = float32(1 / (1 + math.Exp(-float64(v))))
			}
			mask = append(mask, m...)
			return kps, nil, nil
		})
	if err != nil {
		return TeacherOutput{}, err
	}
	return TeacherOutput{Heatmaps: heat, Mask: mask}, nil
}

// one runs the landmark model on one normalised crop and returns its COCO-17 keypoints in crop
// pixels (V 2 when visible enough, else 0) and the segmentation logits.
func (t *BlazePoseTeacher) one(ctx context.Context, crop []float32, h, w int) ([]codec.Keypoint, []float32, error) {
	rgb := make([]float32, len(crop))
	for p := 0; p < len(crop); p += 3 {
		for c := range 3 {
			rgb[p+c] = min(max((crop[p+c]*t.Std[c]+t.Mean[c])/255, 0), 1)
		}
	}
	in, err := resizeNHWC(rgb, 1, h, w, 3, blazepose.InputSize, blazepose.InputSize)
	if err != nil {
		return nil, nil, err
	}
	pose, err := t.lm.Run(ctx, in)
	if err != nil {
		return nil, nil, err
	}
	kps := make([]codec.Keypoint, t.mapping.To.NumJoints())
	sx, sy := float64(w)/blazepose.InputSize, float64(h)/blazepose.InputSize
	for j, src := range t.mapping.Source {
		if src < 0 {
			continue
		}
		lm := pose.Landmarks[src]
		kps[j] = codec.Keypoint{X: lm.X * sx, Y: lm.Y * sy}
		if lm.Visibility >= t.MinVisibility {
			kps[j].V = 2
		}
	}
	return kps, pose.Segmentation, nil
}
