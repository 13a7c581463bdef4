// Package movenet runs Google's MoveNet pose estimators, imported from their TF.js graph models by
// package tfjs as networks (nets.Net, ImportNet) whose heads are decoded in Go as the graphs do:
// single-person Lightning and Thunder with MoveNet's own crop-and-track logic, and MultiPose for
// up to six people (DecodeMultiPose). Keypoints are COCO-17 in image pixels.
package movenet

import (
	"context"
	"fmt"
	"image"
	"math"

	"github.com/gomlx/compute"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/modelstore"
)

// Model names a MoveNet model as the CLI's --model flag does.
type Model string

// The MoveNet models.
const (
	Lightning Model = "movenet-lightning"
	Thunder   Model = "movenet-thunder"
	MultiPose Model = "movenet-multipose"
)

// Models lists the MoveNet models.
func Models() []Model { return []Model{Lightning, Thunder, MultiPose} }

// File returns the model.json of m in the MoveNet pack (modelstore.MoveNetPack).
func (m Model) File() (string, error) {
	switch m {
	case Lightning:
		return modelstore.MoveNetLightning, nil
	case Thunder:
		return modelstore.MoveNetThunder, nil
	case MultiPose:
		return modelstore.MoveNetMultiPose, nil
	}
	return "", fmt.Errorf("movenet: unknown model %q (want movenet-lightning, movenet-thunder or movenet-multipose)", string(m))
}

// NumKeypoints is the number of COCO-17 keypoints MoveNet estimates.
const NumKeypoints = 17

// Person is one estimated pose.
type Person struct {
	// Keypoints are COCO-17 keypoints: x and y in image pixels, and a confidence in [0, 1].
	Keypoints [NumKeypoints][3]float64
	// Score is the pose's confidence: MultiPose's instance score, or for the single-person
	// models the mean confidence of the keypoints above MinCropKeypointScore.
	Score float64
	// Box is [x, y, w, h] in image pixels: MultiPose's box, or the keypoints' extent.
	Box [4]float64
}

// Result returns p as a COCO keypoint result (v = confidence) for image imageID.
func (p Person) Result(imageID int64) dataset.Result {
	kps := make([]float64, 0, 3*NumKeypoints)
	for _, k := range p.Keypoints {
		kps = append(kps, k[0], k[1], k[2])
	}
	return dataset.Result{ImageID: imageID, CategoryID: 1, Keypoints: kps, Score: p.Score}
}

// Estimator runs one MoveNet model.
type Estimator struct {
	model Model
	// single runs Lightning and Thunder: the imported net (ImportNet, with its offset and
	// regression heads) and the codec's MoveNet decoding.
	single *singleNet
	// multi runs MultiPose: the imported net (ImportNet, with all six heads) and
	// DecodeMultiPose.
	multi *multiNet
	size  int // input side of the single-person models; MultiPose's longer side
	// MinPoseScore drops poses whose Score is below it (TF.js pose-detection's default, 0.25).
	MinPoseScore float64
	// MinCropKeypointScore is the confidence above which a keypoint places the next crop (0.2).
	MinCropKeypointScore float64
	// MultiPoseMaxDimension is the longer side MultiPose resizes an image to, a multiple of 32
	// (256, as TF.js pose-detection's default; larger finds smaller people, more slowly).
	MultiPoseMaxDimension int
}

// Open loads model m from cacheDir (where "posedistill models fetch movenet" puts it) onto backend.
func Open(backend compute.Backend, cacheDir string, m Model) (*Estimator, error) {
	file, err := m.File()
	if err != nil {
		return nil, err
	}
	return New(backend, modelstore.MoveNetPath(cacheDir, file), m)
}

// New loads the model.json at path (with its weight shard beside it) as model m. The three models
// run as imported networks (ImportNet): Lightning and Thunder decoded by the codec's MoveNet kind,
// MultiPose by DecodeMultiPose.
func New(backend compute.Backend, path string, m Model) (*Estimator, error) {
	if _, err := m.File(); err != nil {
		return nil, err
	}
	e := &Estimator{model: m, size: m.InputSize(), MinPoseScore: 0.25, MinCropKeypointScore: 0.2, MultiPoseMaxDimension: 256}
	var err error
	if m == MultiPose {
		e.multi, err = newMultiNet(backend, path)
	} else {
		e.single, err = newSingleNet(backend, path, m)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Model returns which model e runs.
func (e *Estimator) Model() Model { return e.model }

// InputSize returns the model's input side (MultiPose: the longer side of its input).
func (e *Estimator) InputSize() int { return e.size }

// Infer runs the model on an h×w RGB image of int32 values in 0–255 (row-major HWC) and returns
// its raw output: [17][3] (y, x, confidence; y and x in 0–1 of the input) for the single-person
// models, [6][56] (17 × (y, x, confidence), then y_min, x_min, y_max, x_max, score) for MultiPose,
// whose image sides must be multiples of 32.
func (e *Estimator) Infer(ctx context.Context, img []int32, h, w int) ([]float32, error) {
	if len(img) != h*w*3 {
		return nil, fmt.Errorf("movenet: %d values for a %d×%d RGB image", len(img), h, w)
	}
	if e.single != nil {
		if h != e.size || w != e.size {
			return nil, fmt.Errorf("movenet: %s takes %d×%d images, got %d×%d", e.model, e.size, e.size, h, w)
		}
		return e.single.infer(ctx, img)
	}
	return e.multi.infer(ctx, img, h, w)
}

// Estimate finds the poses in one still image. The single-person models run MoveNet's
// crop-and-track logic on the image as a two-frame sequence: the whole image (letterboxed) first,
// then the crop that the first pass's keypoints determine, which is how MoveNet sees a person
// followed in a video; MultiPose runs once. Poses below MinPoseScore are dropped.
func (e *Estimator) Estimate(ctx context.Context, img image.Image) ([]Person, error) {
	if e.model == MultiPose {
		return e.multiPose(ctx, img)
	}
	t := e.NewTracker()
	if _, err := t.Next(ctx, img); err != nil {
		return nil, err
	}
	return t.Next(ctx, img)
}

// Tracker follows one person through the frames of a video with a single-person model, as
// TF.js pose-detection's MoveNet detector does: each frame is cropped around the keypoints of the
// previous one (the crop's corners low-pass filtered, α = 0.9); it starts again from the whole
// frame when the torso is lost or the pose's score falls below MinPoseScore. (pose-detection
// starts a sequence from the centred square of the first frame; this tracker from the whole
// frame, letterboxed, as MoveNet's reference Python code does.)
type Tracker struct {
	e      *Estimator
	crop   *Region
	filter [4]lowPass
}

// cropFilterAlpha is the smoothing factor of the crop's low-pass filter (pose-detection's).
const cropFilterAlpha = 0.9

// lowPass is an exponential smoothing filter whose first value passes through.
type lowPass struct {
	value float64
	ready bool
}

func (f *lowPass) apply(v float64) float64 {
	if f.ready {
		v = f.value + cropFilterAlpha*(v-f.value)
	}
	f.value, f.ready = v, true
	return v
}

// NewTracker returns a tracker that starts from the whole frame. With MultiPose, Next estimates
// every frame independently.
func (e *Estimator) NewTracker() *Tracker { return &Tracker{e: e} }

// Reset makes the next frame start from the whole frame.
func (t *Tracker) Reset() {
	t.crop = nil
	t.filter = [4]lowPass{}
}

// Next estimates the pose in the next frame.
func (t *Tracker) Next(ctx context.Context, img image.Image) ([]Person, error) {
	e := t.e
	if e.model == MultiPose {
		return e.multiPose(ctx, img)
	}
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	if h < 1 || w < 1 {
		return nil, fmt.Errorf("movenet: empty image")
	}
	crop := InitCropRegion(h, w)
	if t.crop != nil {
		crop = *t.crop
	}
	in := CropAndResize(img, crop, e.size, e.size)
	out, err := e.Infer(ctx, in, e.size, e.size)
	if err != nil {
		return nil, err
	}
	if len(out) != NumKeypoints*3 {
		return nil, fmt.Errorf("movenet: %d output values, want %d", len(out), NumKeypoints*3)
	}
	// The pose's score is the mean confidence of the keypoints above MinCropKeypointScore.
	var p Person
	valid := 0
	for k := range NumKeypoints {
		if s := float64(out[3*k+2]); s > e.MinCropKeypointScore {
			p.Score += s
			valid++
		}
	}
	if valid > 0 {
		p.Score /= float64(valid)
	}
	if p.Score < e.MinPoseScore {
		t.Reset()
		return nil, nil
	}
	// Keypoints back to normalized image coordinates, then pixels.
	var norm [NumKeypoints][3]float64
	for k := range NumKeypoints {
		y := crop.YMin + (crop.YMax-crop.YMin)*float64(out[3*k])
		x := crop.XMin + (crop.XMax-crop.XMin)*float64(out[3*k+1])
		s := float64(out[3*k+2])
		norm[k] = [3]float64{y, x, s}
		p.Keypoints[k] = [3]float64{x * float64(w), y * float64(h), s}
	}
	next := DetermineCropRegion(norm, h, w, e.MinCropKeypointScore)
	next = Region{YMin: t.filter[0].apply(next.YMin), XMin: t.filter[1].apply(next.XMin),
		YMax: t.filter[2].apply(next.YMax), XMax: t.filter[3].apply(next.XMax)}
	t.crop = &next
	p.Box = keypointBox(p.Keypoints, e.MinCropKeypointScore)
	return []Person{p}, nil
}

// keypointBox returns the extent [x, y, w, h] of the keypoints above minScore (all of them when
// none is).
func keypointBox(kps [NumKeypoints][3]float64, minScore float64) [4]float64 {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for pass := 0; pass < 2 && math.IsInf(x0, 1); pass++ {
		for _, k := range kps {
			if pass == 0 && k[2] < minScore {
				continue
			}
			x0, y0, x1, y1 = math.Min(x0, k[0]), math.Min(y0, k[1]), math.Max(x1, k[0]), math.Max(y1, k[1])
		}
	}
	return [4]float64{x0, y0, x1 - x0, y1 - y0}
}

// multiPose runs MultiPose as TF.js pose-detection does: the image resized bilinearly (aspect
// kept) so that its longer side is MultiPoseMaxDimension, zero-padded to multiples of 32.
func (e *Estimator) multiPose(ctx context.Context, img image.Image) ([]Person, error) {
	f, err := e.multiPoseFrame(img)
	if err != nil {
		return nil, err
	}
	out, err := e.Infer(ctx, f.in, f.ph, f.pw)
	if err != nil {
		return nil, err
	}
	return e.multiPosePeople(out, f)
}

// multiPoseInput is an image as MultiPose sees it: h×w resized to rh×rw, zero-padded to ph×pw.
type multiPoseInput struct {
	in                   []int32
	h, w, rh, rw, ph, pw int
}

// multiPoseFrame resizes and pads img for MultiPose.
func (e *Estimator) multiPoseFrame(img image.Image) (multiPoseInput, error) {
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	if h < 1 || w < 1 {
		return multiPoseInput{}, fmt.Errorf("movenet: empty image")
	}
	side := e.MultiPoseMaxDimension
	if side < 32 || side%32 != 0 || side > 4096 {
		return multiPoseInput{}, fmt.Errorf("movenet: MultiPoseMaxDimension %d is not a multiple of 32 in 32–4096", side)
	}
	rh, rw := side, side
	if w > h {
		rh = max(1, int(math.Round(float64(side)*float64(h)/float64(w))))
	} else {
		rw = max(1, int(math.Round(float64(side)*float64(w)/float64(h))))
	}
	ph, pw := ceil32(float64(rh)), ceil32(float64(rw))
	return multiPoseInput{in: ResizePadded(img, rh, rw, ph, pw), h: h, w: w, rh: rh, rw: rw, ph: ph, pw: pw}, nil
}

// multiPosePeople returns the people of MultiPose's output on f whose score reaches
// MinPoseScore, in the image's pixels.
func (e *Estimator) multiPosePeople(out []float32, f multiPoseInput) ([]Person, error) {
	const stride = MultiPoseRow
	if len(out)%stride != 0 {
		return nil, fmt.Errorf("movenet: %d output values, not a multiple of %d", len(out), stride)
	}
	toX := func(v float32) float64 { return float64(v) * float64(f.pw) / float64(f.rw) * float64(f.w) }
	toY := func(v float32) float64 { return float64(v) * float64(f.ph) / float64(f.rh) * float64(f.h) }
	var people []Person
	for i := 0; i < len(out); i += stride {
		row := out[i : i+stride]
		p := Person{Score: float64(row[stride-1])}
		if p.Score < e.MinPoseScore {
			continue
		}
		for k := range NumKeypoints {
			p.Keypoints[k] = [3]float64{toX(row[3*k+1]), toY(row[3*k]), float64(row[3*k+2])}
		}
		y0, x0, y1, x1 := toY(row[51]), toX(row[52]), toY(row[53]), toX(row[54])
		p.Box = [4]float64{x0, y0, x1 - x0, y1 - y0}
		people = append(people, p)
	}
	return people, nil
}

// ceil32 rounds v up to a multiple of 32 (at least 32).
func ceil32(v float64) int { return max(32, int(math.Ceil(v/32))*32) }
