package pseudolabel

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
)

// PseudoOptions tune how a BlazePose pipeline's people become pseudo ground truth.
type PseudoOptions struct {
	// MinScore is the lowest person score (pose flag × detection score) kept (0: 0.5).
	MinScore float64
	// MinVisibility is the landmark visibility from which a COCO-17 keypoint is labelled v = 2;
	// below it the keypoint is unlabelled (0, 0, 0) (0: 0.5).
	MinVisibility float64
	// MinKeypoints is the fewest labelled keypoints a kept person has (0: 4).
	MinKeypoints int
	// MaskThreshold binarizes the segmentation into the annotation's mask (0: 0.5).
	MaskThreshold float64
	// MaxPeople bounds the people labelled per image (0: 8).
	MaxPeople int
	// DetectTile is the side of the square tiles the detector scans (blazepose.DetectionWindows;
	// 0: the whole image, as MediaPipe; about 300 finds the small pedestrians of surveillance
	// footage).
	DetectTile int
}

func (o PseudoOptions) withDefaults() PseudoOptions {
	if o.MinScore <= 0 {
		o.MinScore = 0.5
	}
	if o.MinVisibility <= 0 {
		o.MinVisibility = 0.5
	}
	if o.MinKeypoints <= 0 {
		o.MinKeypoints = 4
	}
	if o.MaskThreshold <= 0 {
		o.MaskThreshold = 0.5
	}
	if o.MaxPeople <= 0 {
		o.MaxPeople = 8
	}
	return o
}

// PseudoLabeler builds a COCO-format dataset directory (train.json, val.json and the images under
// images/, the layout "posedistill synth" writes and Train reads) from unlabeled images, with a
// BlazePose pipeline's people as ground truth: COCO-17 keypoints mapped from the landmarks
// (labelled where visible), the box around all 33 landmarks clipped to the image, and the person's
// segmentation as mask and area (the area OKS normalises by), and its world landmarks as the
// annotation's 3D joints (worldJoints3D: H36MFace, millimetres, origin between the hips).
type PseudoLabeler struct {
	Pipeline *blazepose.Pipeline
	Options  PseudoOptions
	// Find, when set, finds the people of an image instead of FindPeople (the one place a
	// whole-image detector is called: swap it for another).
	Find PeopleFinder
	// Dir is the dataset directory.
	Dir        string
	train, val dataset.Dataset
	nextImage  int64
	nextAnn    int64
	// Progress (Checkpoint): what is labelled, how often it is saved, the images done.
	progressKey              string
	progressEvery, sinceSave int
	done                     map[string]bool
	doneOrder                []string
}

// NewPseudoLabeler starts a dataset in dir (created if needed).
func NewPseudoLabeler(pipe *blazepose.Pipeline, dir string, opts PseudoOptions) (*PseudoLabeler, error) {
	if pipe == nil {
		return nil, fmt.Errorf("pseudo labels %s: no BlazePose pipeline", dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, "images"), 0o755); err != nil {
		return nil, fmt.Errorf("pseudo labels: %w", err)
	}
	cat := dataset.NewCOCO17Category()
	l := &PseudoLabeler{Pipeline: pipe, Options: opts, Dir: dir}
	for _, d := range []*dataset.Dataset{&l.train, &l.val} {
		d.Categories = []dataset.Category{cat}
		d.Images, d.Annotations = []dataset.Image{}, []dataset.Annotation{}
		d.Info = map[string]any{"description": "pseudo ground truth from BlazePose (posedistill distill --images)"}
	}
	return l, nil
}

// Add runs the pipeline on img (re-based to the origin when its bounds start elsewhere; people
// detected independently in every image, tiled as Options.DetectTile says), saves the image as images/<name>.png and records its people in
// the val split when heldOut, else in train. It returns how many people were kept. An image
// labelled before a Checkpoint resume is skipped (0 people, its earlier ones kept).
func (l *PseudoLabeler) Add(ctx context.Context, name string, img image.Image, heldOut bool) (int, error) {
	if l.done[name] {
		return 0, nil
	}
	if b := img.Bounds(); b.Min != (image.Point{}) {
		rgba := image.NewRGBA(image.Rectangle{Max: b.Size()})
		draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
		img = rgba
	}
	o := l.Options.withDefaults()
	find := l.Find
	if find == nil {
		find = func(ctx context.Context, img image.Image) ([]blazepose.Person, error) {
			return FindPeople(ctx, l.Pipeline, img, o)
		}
	}
	people, err := find(ctx, img)
	if err != nil {
		return 0, fmt.Errorf("pseudo labels %s: %w", name, err)
	}
	b := img.Bounds()
	l.nextImage++
	im := dataset.Image{ID: l.nextImage, FileName: filepath.Join("images", name+".png"), Width: b.Dx(), Height: b.Dy()}
	var anns []dataset.Annotation
	for _, p := range people {
		a, ok, err := l.annotate(p, im, o)
		if err != nil {
			return 0, fmt.Errorf("pseudo labels %s: %w", name, err)
		}
		if ok {
			l.nextAnn++
			a.ID = l.nextAnn
			anns = append(anns, a)
		}
	}
	if len(anns) == 0 {
		return 0, l.markDone(name)
	}
	if err := dataset.SaveImage(filepath.Join(l.Dir, im.FileName), img); err != nil {
		return 0, err
	}
	d := &l.train
	if heldOut {
		d = &l.val
	}
	d.Images = append(d.Images, im)
	d.Annotations = append(d.Annotations, anns...)
	return len(anns), l.markDone(name)
}

// PeopleFinder finds the people of an image with their landmarks and masks.
type PeopleFinder func(ctx context.Context, img image.Image) ([]blazepose.Person, error)

// FindPeople is the default PeopleFinder: the BlazePose pipeline's detector over the whole image
// or, with o.DetectTile, over square tiles (blazepose.Tracker's first frame), then its landmark
// model on each person found, up to o.MaxPeople with a pose score of at least o.MinScore.
func FindPeople(ctx context.Context, pipe *blazepose.Pipeline, img image.Image, o PseudoOptions) ([]blazepose.Person, error) {
	tr, err := blazepose.NewTracker(pipe, blazepose.TrackerConfig{MinPoseScore: o.MinScore, MaxPeople: o.MaxPeople, DetectTile: o.DetectTile})
	if err != nil {
		return nil, err
	}
	tracked, err := tr.Step(ctx, img)
	if err != nil {
		return nil, err
	}
	people := make([]blazepose.Person, len(tracked))
	for i, p := range tracked {
		people[i] = p.Person
	}
	return people, nil
}

// annotate turns one person into an annotation of im; ok is false when the person is too
// unsure or shows too few keypoints.
func (l *PseudoLabeler) annotate(p blazepose.Person, im dataset.Image, o PseudoOptions) (dataset.Annotation, bool, error) {
	var a dataset.Annotation
	if p.Pose == nil {
		return a, false, nil
	}
	score := p.Pose.Score
	if p.Detection.Score > 0 {
		score *= p.Detection.Score
	}
	if score < o.MinScore {
		return a, false, nil
	}
	kp, err := p.Keypoints(skeleton.COCO17())
	if err != nil {
		return a, false, err
	}
	w, h := float64(im.Width), float64(im.Height)
	for i := 0; i+2 < len(kp); i += 3 {
		x, y, v := kp[i], kp[i+1], kp[i+2]
		if v >= o.MinVisibility && x >= 0 && y >= 0 && x < w && y < h && !math.IsNaN(x+y) {
			kp[i+2] = 2
		} else {
			kp[i], kp[i+1], kp[i+2] = 0, 0, 0
		}
	}
	n := dataset.CountLabelled(kp)
	if n < o.MinKeypoints {
		return a, false, nil
	}
	box, ok := blazepose.BBox(p.Landmarks, 0)
	if !ok {
		return a, false, nil
	}
	x0, y0 := max(box[0], 0), max(box[1], 0)
	x1, y1 := min(box[0]+box[2], w), min(box[1]+box[3], h)
	if !(x1 > x0 && y1 > y0) {
		return a, false, nil
	}
	a = dataset.Annotation{ImageID: im.ID, CategoryID: 1, NumKeypoints: n, Keypoints: kp,
		BBox: [4]float64{x0, y0, x1 - x0, y1 - y0}, Area: (x1 - x0) * (y1 - y0)}
	if len(p.Pose.World) > 0 {
		// The senior's world landmarks: the pseudo ground truth of a 3D (location-map) student.
		if a.Joints3D, err = worldJoints3D(p.Pose.World); err != nil {
			return a, false, err
		}
	}
	m, err := p.Mask(im.Width, im.Height, o.MaskThreshold)
	if err != nil {
		return a, false, err
	}
	rle, err := dataset.EncodeMask(m)
	if err != nil {
		return a, false, err
	}
	if area := rle.Area(); area > 0 {
		a.Area = float64(area)
		a.Segmentation = &dataset.Segmentation{RLE: rle}
	}
	return a, true, nil
}

// Counts returns the images and people recorded so far in train and val.
func (l *PseudoLabeler) Counts() (trainImages, trainPeople, valImages, valPeople int) {
	return len(l.train.Images), len(l.train.Annotations), len(l.val.Images), len(l.val.Annotations)
}

// Finish writes train.json and val.json (then removes a Checkpoint's progress file); both must
// hold at least one person.
func (l *PseudoLabeler) Finish() error {
	if l.progressKey != "" {
		// Saved first: an error below (no person in a split) leaves the labelling resumable.
		if err := l.saveProgress(); err != nil {
			return err
		}
	}
	for _, s := range []struct {
		name string
		d    *dataset.Dataset
	}{{"train.json", &l.train}, {"val.json", &l.val}} {
		if len(s.d.Annotations) == 0 {
			hint := "BlazePose found none in its images"
			if s.name == "val.json" {
				hint += "; held out are the last frames of each video and the last photos of each directory of two or more"
			}
			return fmt.Errorf("pseudo labels %s: %s has no person (%s)", l.Dir, s.name, hint)
		}
		if err := dataset.Write(filepath.Join(l.Dir, s.name), s.d); err != nil {
			return fmt.Errorf("pseudo labels: %w", err)
		}
	}
	if err := os.Remove(filepath.Join(l.Dir, LabelProgress)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pseudo labels: %w", err)
	}
	return nil
}
