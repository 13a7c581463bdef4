// Package pose finds the people in images and video frames with any pose model posedistill
// trained or imported: a run directory of "posedistill train" or "distill" (a top-down student or
// teacher), MediaPipe BlazePose (blazepose-lite, -full, -heavy) or MoveNet (movenet-lightning,
// -thunder, -multipose).
//
// An Estimator detects every person (by default MoveNet MultiPose's people, over the whole image
// at a few scales; or BlazePose's person detector over the whole image and over tiles, with
// non-maximum suppression across them; or both, merged: DetectorConfig.People; MoveNet MultiPose
// as the model finds people by itself), then runs the pose model on each person's crop
// (top-down). Given boxes, it skips detection. A
// Tracker follows people through a video: the detector runs every few frames, in between each
// person's crop comes from the previous frame's pose, and every person keeps a track id.
//
// Keypoints are COCO-17 in image pixels with a confidence per keypoint, whatever the model; a
// BlazePose person also carries its 33 landmarks.
package pose

import (
	"context"
	"fmt"
	"image"
	"math"
	"os"
	"sort"
	"sync"

	"github.com/gomlx/compute"

	backends "github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/movenet"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/train"
)

// Keypoint is one body point: X, Y in image pixels and the model's confidence in [0, 1].
type Keypoint struct {
	X, Y, Score float64
}

// Person is one person found in an image.
type Person struct {
	// Keypoints are the COCO-17 keypoints (skeleton.COCO17 order).
	Keypoints []Keypoint
	// Score is the pose's confidence: for BlazePose the pose flag times the detection score, for
	// MoveNet its pose score, for a trained run the mean keypoint confidence times the detection
	// score.
	Score float64
	// Box is [x, y, w, h] around the keypoints, in image pixels.
	Box [4]float64
	// TrackID identifies the person across the frames of a video (Tracker); 0 on still images.
	TrackID int64
	// BlazePose holds BlazePose's full output (33 landmarks, world landmarks, segmentation) when
	// the model is BlazePose; nil otherwise.
	BlazePose *blazepose.Person

	from region // where the pose was estimated: the person box (tracking), the detection
}

// Result returns the person as a COCO keypoint result for imageID (v = confidence), with its
// track id.
func (p Person) Result(imageID int64) dataset.Result {
	kps := make([]float64, 0, 3*len(p.Keypoints))
	for _, k := range p.Keypoints {
		kps = append(kps, k.X, k.Y, k.Score)
	}
	return dataset.Result{ImageID: imageID, CategoryID: 1, Keypoints: kps, Score: p.Score, TrackID: p.TrackID}
}

// Options configure an Estimator. The zero value gives the defaults.
type Options struct {
	// Backend is the GoMLX backend of a trained run ("" : $GOMLX_BACKEND, then go). Imported
	// models run on the go backend.
	Backend string
	// CacheDir holds the imported models ("" : $POSEDISTILL_CACHE, else the user cache; see
	// "posedistill models fetch").
	CacheDir string
	// Detector configures the people detector.
	Detector DetectorConfig
	// MinPoseScore drops poses less confident than this: BlazePose's pose flag (0.5 when zero),
	// MoveNet's pose score (0.25 when zero); for a trained run the mean keypoint confidence
	// (0, keeping every detected person, when zero). Negative keeps every pose.
	MinPoseScore float64
	// MaxPeople bounds the people returned per image (20 when zero).
	MaxPeople int
	// MaxOverlap is the keypoint-box IoU above which two poses are the same person and the less
	// confident is dropped (0.5 when zero); a pose whose box lies 80% inside a more confident
	// one's is dropped too.
	MaxOverlap float64
	// NoFlip turns off a trained run's flip test (averaging with the mirrored crop).
	NoFlip bool
	// MultiPoseSize is the longer side MoveNet MultiPose resizes images to, a multiple of 32
	// (256 when zero).
	MultiPoseSize int
}

// kind is the family of a model.
type kind int

const (
	kindTrained kind = iota
	kindBlazePose
	kindMoveNet
	kindMultiPose
)

// Estimator finds people and their poses with one model. It is safe for concurrent use:
// inferences of one Estimator run one at a time (the backend already uses every core for one).
type Estimator struct {
	name string
	kind kind
	opts Options

	mu       sync.Mutex // serializes inference and the detector's MinScore
	be       compute.Backend
	detector *blazepose.Detector // BlazePose's people detector (nil unless chosen)
	people   *movenet.Estimator  // MultiPose as the people detector (nil unless chosen)
	blaze    *blazepose.Landmarker
	move     *movenet.Estimator
	run      *train.Model
	aspect   float64 // a trained run's input width / height
}

// IsImported reports whether model names an imported model (BlazePose or MoveNet) rather than a
// run directory.
func IsImported(model string) bool {
	if modelstore.IsBlazePose(model) {
		return true
	}
	for _, m := range movenet.Models() {
		if string(m) == model {
			return true
		}
	}
	return false
}

// Open loads a model: a run directory of "posedistill train" or "distill", or an imported model's
// name (blazepose-lite, -full, -heavy; movenet-lightning, -thunder, -multipose), with the people
// detector unless the model is MoveNet MultiPose. Close releases it.
func Open(model string, o Options) (*Estimator, error) {
	if o.MaxPeople < 0 || o.MaxOverlap < 0 || o.MaxOverlap > 1 || o.MultiPoseSize < 0 {
		return nil, fmt.Errorf("pose: bad options (max people %d, max overlap %v, multipose size %d)", o.MaxPeople, o.MaxOverlap, o.MultiPoseSize)
	}
	chosen := o.Detector.People
	o.Detector = o.Detector.withDefaults()
	if err := o.Detector.check(); err != nil {
		return nil, fmt.Errorf("pose: %w", err)
	}
	if model == string(movenet.MultiPose) {
		if chosen != "" && chosen != DetectMultiPose {
			return nil, fmt.Errorf("pose: %s finds people by itself: people detector %q not applicable", model, chosen)
		}
		o.Detector.People = DetectMultiPose
	}
	if o.MaxPeople == 0 {
		o.MaxPeople = 20
	}
	if o.MaxOverlap == 0 {
		o.MaxOverlap = 0.5
	}
	if o.MultiPoseSize == 0 {
		o.MultiPoseSize = 256
	}
	e := &Estimator{name: model, opts: o}
	if err := e.load(model); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Estimator) load(model string) error {
	o := &e.opts
	imported := IsImported(model)
	if !imported {
		if st, err := os.Stat(model); err != nil || !st.IsDir() {
			return fmt.Errorf("pose: model %q is neither a run directory nor an imported model (blazepose-lite, -full, -heavy; movenet-lightning, -thunder, -multipose)", model)
		}
	}
	var err error
	name := "go"
	if !imported {
		name = o.Backend
	}
	if e.be, err = backends.New(name); err != nil {
		return fmt.Errorf("pose: %w", err)
	}
	cache := o.CacheDir
	if cache == "" {
		if cache, err = modelstore.DefaultCacheDir(); err != nil {
			return fmt.Errorf("pose: %w", err)
		}
	}
	switch {
	case modelstore.IsBlazePose(model):
		e.kind = kindBlazePose
		if o.MinPoseScore == 0 {
			o.MinPoseScore = 0.5
		}
		file, err := modelstore.BlazePoseLandmark(model)
		if err != nil {
			return err
		}
		if e.blaze, err = blazepose.NewLandmarker(e.be, modelstore.BlazePosePath(cache, file)); err != nil {
			return fmt.Errorf("pose: %w (run 'posedistill models fetch blazepose' first)", err)
		}
	case imported:
		e.kind = kindMoveNet
		if model == string(movenet.MultiPose) {
			e.kind = kindMultiPose
		}
		if o.MinPoseScore == 0 {
			o.MinPoseScore = 0.25
		}
		if e.move, err = movenet.Open(e.be, cache, movenet.Model(model)); err != nil {
			return fmt.Errorf("pose: %w (run 'posedistill models fetch movenet' first)", err)
		}
		e.move.MultiPoseMaxDimension = o.MultiPoseSize
		e.move.MinPoseScore = max(o.MinPoseScore, 0)
	default:
		e.kind = kindTrained
		if e.run, err = train.LoadModel(model, e.be); err != nil {
			return fmt.Errorf("pose: %w", err)
		}
		e.aspect = float64(e.run.Config.InputW) / float64(e.run.Config.InputH)
	}
	if e.kind == kindMultiPose {
		return nil
	}
	if o.Detector.People.blazePose() {
		path := modelstore.BlazePosePath(cache, modelstore.PoseDetection)
		if e.detector, err = blazepose.NewDetector(e.be, path); err != nil {
			return fmt.Errorf("pose: people detector: %w (run 'posedistill models fetch blazepose' first)", err)
		}
	}
	if o.Detector.People.multiPose() {
		if e.people, err = movenet.Open(e.be, cache, movenet.MultiPose); err != nil {
			return fmt.Errorf("pose: people detector: %w (run 'posedistill models fetch movenet' first)", err)
		}
	}
	return nil
}

// Close releases the compiled models.
func (e *Estimator) Close() {
	if e.run != nil {
		e.run.Close()
	}
	if e.be != nil {
		e.be.Finalize()
	}
}

// Name returns the model as Open was given it.
func (e *Estimator) Name() string { return e.name }

// Keypoints returns the keypoint set of Person.Keypoints (COCO-17).
func (e *Estimator) Keypoints() *skeleton.Set { return skeleton.COCO17() }

// Detect returns the people the detector finds in img, best first (at most MaxPeople). MoveNet
// MultiPose has no separate detector: its poses' boxes are returned.
func (e *Estimator) Detect(ctx context.Context, img image.Image) ([]Detection, error) {
	if e.kind == kindMultiPose {
		people, err := e.Estimate(ctx, img)
		if err != nil {
			return nil, err
		}
		dets := make([]Detection, len(people))
		for i, p := range people {
			dets[i] = Detection{Box: p.Box, Score: p.Score, ROI: roiFromBox(p.Box)}
		}
		return dets, nil
	}
	dets, err := e.detectAll(ctx, img)
	dets, _ = e.splitWeak(dets)
	if len(dets) > e.opts.MaxPeople {
		dets = dets[:e.opts.MaxPeople]
	}
	return dets, err
}

// detectAll runs the people detector (not for MultiPose), every detection best first:
// BlazePose's scoring at least Detector.MinScore, MultiPose's people (DetectorConfig.People),
// then, for BlazePose, BlazePose's weaker detections that may be beside a person
// (Detector.MinScoreBeside).
func (e *Estimator) detectAll(ctx context.Context, img image.Image) ([]Detection, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var blaze, multi []Detection
	var err error
	if e.detector != nil {
		if blaze, err = detect(ctx, e.detector, img, e.opts.Detector, e.kind == kindBlazePose); err != nil {
			return nil, fmt.Errorf("pose: %w", err)
		}
	}
	if e.people != nil {
		if multi, err = detectMultiPose(ctx, e.people, img, e.opts.Detector); err != nil {
			return nil, fmt.Errorf("pose: people detector: %w", err)
		}
	}
	return mergePeople(blaze, multi, e.opts.Detector.MinScore), nil
}

// splitWeak splits detections (as detectAll orders them) into the strong ones (MultiPose's, and
// BlazePose's scoring at least Detector.MinScore) and BlazePose's weaker ones, keeping their
// order.
func (e *Estimator) splitWeak(dets []Detection) (strong, weak []Detection) {
	for _, d := range dets {
		if d.From != DetectMultiPose && d.Score < e.opts.Detector.MinScore {
			weak = append(weak, d)
		} else {
			strong = append(strong, d)
		}
	}
	return strong, weak
}

// Estimate finds the people in img and their poses, most confident first. With BlazePose, a
// detection beside a person found whose crop gave that person again, a MultiPose person whose
// crop gave no pose, or a weaker BlazePose detection (DetectorConfig.MinScoreBeside), gets a
// second look: its crop again with the people found
// painted out (their segmentation filled with grey), so that of two people side by side the less
// salient one is posed too.
func (e *Estimator) Estimate(ctx context.Context, img image.Image) ([]Person, error) {
	if img == nil || img.Bounds().Empty() {
		return nil, fmt.Errorf("pose: empty image")
	}
	if e.kind == kindMultiPose {
		e.mu.Lock()
		people, err := e.move.Estimate(ctx, img)
		e.mu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("pose: %w", err)
		}
		out := make([]Person, 0, len(people))
		for _, p := range people {
			out = append(out, fromMoveNet(p))
		}
		return e.dedupe(out, nil, img.Bounds()), nil
	}
	dets, err := e.detectAll(ctx, img)
	if err != nil {
		return nil, err
	}
	return e.estimateDetections(ctx, img, dets, nil)
}

// estimateDetections estimates the poses of detections and keeps, most confident first, those
// that are not the same person as one of have or a kept one, up to MaxPeople people with have.
// Detections scoring below Detector.MinScore get only a second look (see lookAgain).
func (e *Estimator) estimateDetections(ctx context.Context, img image.Image, dets []Detection, have []Person) ([]Person, error) {
	strong, weak := e.splitWeak(dets)
	found, err := e.estimate(ctx, img, detectedRegions(strong))
	if err != nil {
		return nil, err
	}
	kept := e.dedupe(found, have, img.Bounds())
	return e.lookAgain(ctx, img, found, append(unposed(strong, found), detectedRegions(weak)...), kept, have)
}

// unposed returns the regions of MultiPose's detections among dets that gave no pose in found.
// A single-person model cropped on a person beside another may see the other and give no pose
// (BlazePose-lite on vtest.avi frame 100's woman walking away beside a man: pose flag below 0.5),
// so such a detection gets a second look too. (BlazePose's detections that give no pose are
// mostly background: the second look would only cost time there.)
func unposed(dets []Detection, found []Person) []region {
	var out []region
	for i, r := range detectedRegions(dets) {
		if dets[i].From != DetectMultiPose {
			continue
		}
		posed := false
		for _, p := range found {
			posed = posed || p.from == r
		}
		if !posed {
			out = append(out, r)
		}
	}
	return out
}

// detectedRegions returns the regions of detections.
func detectedRegions(dets []Detection) []region {
	regions := make([]region, len(dets))
	for i, d := range dets {
		regions[i] = region{box: d.Box, roi: d.ROI, score: d.Score, detected: true, face: d.Face}
	}
	return regions
}

// EstimateBoxes estimates one pose in each person box [x, y, w, h] (image pixels), without
// detection; a box whose pose falls below MinPoseScore gives no person. MoveNet MultiPose runs on
// each box's surroundings and keeps its best pose there.
func (e *Estimator) EstimateBoxes(ctx context.Context, img image.Image, boxes [][4]float64) ([]Person, error) {
	if img == nil || img.Bounds().Empty() {
		return nil, fmt.Errorf("pose: empty image")
	}
	regions := make([]region, len(boxes))
	for i, b := range boxes {
		if !(b[2] > 0 && b[3] > 0) || !finite(b[:]...) {
			return nil, fmt.Errorf("pose: box %d %v has no positive size", i, b)
		}
		regions[i] = region{box: b, roi: roiFromBox(b), score: 1}
	}
	return e.estimate(ctx, img, regions)
}

// region is where to look for one person: a box (top-down models, MoveNet) and BlazePose's crop.
type region struct {
	box      [4]float64
	roi      blazepose.Rect
	score    float64    // detection score (1 for given boxes and tracked people)
	detected bool       // box is the detector's square body box
	face     [2]float64 // the detector's face centre (detections only)
	// Tracking: placed is the frame whose observation (a detection or a pose) put box where it
	// is; vel is how far a crop that no pose moves (a trained run's) is moved per frame, in
	// pixels (measured between two detections of the person).
	placed int
	vel    [2]float64
}

// estimate runs the pose model on each region; regions without a person (pose score below
// MinPoseScore) give none.
func (e *Estimator) estimate(ctx context.Context, img image.Image, regions []region) ([]Person, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Person
	for i, r := range regions {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, ok, err := e.estimateOne(ctx, img, r)
		if err != nil {
			return nil, fmt.Errorf("pose: person %d: %w", i, err)
		}
		if ok {
			p.from = r
			out = append(out, p)
		}
	}
	return out, nil
}

func (e *Estimator) estimateOne(ctx context.Context, img image.Image, r region) (Person, bool, error) {
	switch e.kind {
	case kindBlazePose:
		pose, err := e.blaze.Run(ctx, blazepose.Crop(img, r.roi, blazepose.InputSize, 0, 1))
		if err != nil {
			return Person{}, false, err
		}
		bp := blazepose.Person{ROI: r.roi, Pose: pose}
		for _, lm := range pose.Landmarks {
			x, y := r.roi.ToImage(lm.X, lm.Y, blazepose.InputSize)
			lm.X, lm.Y, lm.Z = x, y, lm.Z*r.roi.W/blazepose.InputSize
			bp.Landmarks = append(bp.Landmarks, lm)
		}
		if pose.Score < e.opts.MinPoseScore {
			return Person{}, false, nil
		}
		q, err := FromBlazePose(bp, r.score)
		return q, err == nil, err
	case kindMoveNet:
		p, err := e.moveNetRegion(ctx, img, r.roi)
		if err != nil || p.Score < e.opts.MinPoseScore {
			return Person{}, false, err
		}
		return p, true, nil
	case kindMultiPose:
		return e.multiPoseRegion(ctx, img, r)
	default:
		box := r.box
		if r.detected { // the detector's square body box, narrowed to the network's aspect
			w := box[3] * e.aspect
			box = [4]float64{box[0] + (box[2]-w)/2, box[1], w, box[3]}
		}
		res, err := e.run.PredictImage(ctx, img, 0, [][4]float64{box}, !e.opts.NoFlip)
		if err != nil {
			return Person{}, false, err
		}
		if len(res) != 1 {
			return Person{}, false, fmt.Errorf("%d results for one box", len(res))
		}
		p, err := fromKeypoints(res[0].Keypoints)
		if err != nil {
			return Person{}, false, err
		}
		p.Score *= r.score
		if p.Score < e.opts.MinPoseScore {
			return Person{}, false, nil
		}
		return p, true, nil
	}
}

// FromBlazePose converts BlazePose's output (landmarks in image pixels) into a Person whose
// score is the pose flag times detScore (the detection score; 1 for a tracked person).
func FromBlazePose(bp blazepose.Person, detScore float64) (Person, error) {
	if bp.Pose == nil {
		return Person{}, fmt.Errorf("blazepose person without a pose")
	}
	kp, err := bp.Keypoints(skeleton.COCO17())
	if err != nil {
		return Person{}, err
	}
	p, err := fromKeypoints(kp)
	if err != nil {
		return Person{}, err
	}
	p.Score = bp.Pose.Score * detScore
	p.Box, _ = blazepose.BBox(bp.Landmarks, 0)
	p.BlazePose = &bp
	return p, nil
}

// fromKeypoints builds a person from COCO-17 [x, y, score] values: its score is the mean keypoint
// confidence, its box their extent.
func fromKeypoints(kp []float64) (Person, error) {
	n := skeleton.COCO17().NumJoints()
	if len(kp) != 3*n {
		return Person{}, fmt.Errorf("%d keypoint values, want %d", len(kp), 3*n)
	}
	p := Person{Keypoints: make([]Keypoint, n)}
	for i := range p.Keypoints {
		p.Keypoints[i] = Keypoint{X: kp[3*i], Y: kp[3*i+1], Score: kp[3*i+2]}
		p.Score += kp[3*i+2] / float64(n)
	}
	p.Box = keypointBox(p.Keypoints)
	return p, nil
}

// fromMoveNet converts a MoveNet pose.
func fromMoveNet(m movenet.Person) Person {
	p := Person{Keypoints: make([]Keypoint, len(m.Keypoints)), Score: m.Score, Box: m.Box}
	for i, k := range m.Keypoints {
		p.Keypoints[i] = Keypoint{X: k[0], Y: k[1], Score: k[2]}
	}
	return p
}

// minBoxScore is the keypoint confidence above which a keypoint counts in a person's box.
const minBoxScore = 0.2

// keypointBox is the extent [x, y, w, h] of the keypoints above minBoxScore (of all when fewer
// than two are).
func keypointBox(kps []Keypoint) [4]float64 {
	box := func(min float64) ([4]float64, int) {
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		n := 0
		for _, k := range kps {
			if k.Score < min || !finite(k.X, k.Y) {
				continue
			}
			x0, y0, x1, y1 = math.Min(x0, k.X), math.Min(y0, k.Y), math.Max(x1, k.X), math.Max(y1, k.Y)
			n++
		}
		return [4]float64{x0, y0, x1 - x0, y1 - y0}, n
	}
	if b, n := box(minBoxScore); n >= 2 {
		return b
	}
	b, n := box(math.Inf(-1))
	if n == 0 {
		return [4]float64{}
	}
	return b
}

// moveNetRegion runs a single-person MoveNet model on the upright square around roi.
func (e *Estimator) moveNetRegion(ctx context.Context, img image.Image, roi blazepose.Rect) (Person, error) {
	b := img.Bounds()
	h, w := float64(b.Dy()), float64(b.Dx())
	side := math.Max(roi.W, roi.H)
	reg := movenet.Region{YMin: (roi.CY - side/2 - float64(b.Min.Y)) / h, XMin: (roi.CX - side/2 - float64(b.Min.X)) / w,
		YMax: (roi.CY + side/2 - float64(b.Min.Y)) / h, XMax: (roi.CX + side/2 - float64(b.Min.X)) / w}
	size := e.move.InputSize()
	out, err := e.move.Infer(ctx, movenet.CropAndResize(img, reg, size, size), size, size)
	if err != nil {
		return Person{}, err
	}
	if len(out) != 3*movenet.NumKeypoints {
		return Person{}, fmt.Errorf("movenet: %d output values, want %d", len(out), 3*movenet.NumKeypoints)
	}
	p := Person{Keypoints: make([]Keypoint, movenet.NumKeypoints)}
	valid := 0
	for k := range p.Keypoints {
		y := reg.YMin + (reg.YMax-reg.YMin)*float64(out[3*k])
		x := reg.XMin + (reg.XMax-reg.XMin)*float64(out[3*k+1])
		s := float64(out[3*k+2])
		p.Keypoints[k] = Keypoint{X: float64(b.Min.X) + x*w, Y: float64(b.Min.Y) + y*h, Score: s}
		if s > e.move.MinCropKeypointScore { // MoveNet's pose score
			p.Score += s
			valid++
		}
	}
	if valid > 0 {
		p.Score /= float64(valid)
	}
	p.Box = keypointBox(p.Keypoints)
	return p, nil
}

// multiPoseRegion runs MoveNet MultiPose on the upright square around r's crop and returns its
// most confident pose whose centre lies in r's box.
func (e *Estimator) multiPoseRegion(ctx context.Context, img image.Image, r region) (Person, bool, error) {
	side := math.Max(r.roi.W, r.roi.H)
	x0, y0 := int(math.Floor(r.roi.CX-side/2)), int(math.Floor(r.roi.CY-side/2))
	s := int(math.Ceil(side))
	crop := image.NewRGBA(image.Rect(x0, y0, x0+s, y0+s))
	drawInto(crop, img)
	people, err := e.move.Estimate(ctx, crop)
	if err != nil {
		return Person{}, false, err
	}
	best, found := Person{}, false
	for _, m := range people {
		p := fromMoveNet(m)
		cx, cy := p.Box[0]+p.Box[2]/2, p.Box[1]+p.Box[3]/2
		inside := cx >= r.box[0] && cx <= r.box[0]+r.box[2] && cy >= r.box[1] && cy <= r.box[1]+r.box[3]
		if inside && p.Score >= e.opts.MinPoseScore && (!found || p.Score > best.Score) {
			best, found = p, true
		}
	}
	return best, found, nil
}

// dedupe keeps at most MaxPeople people (counting have) who are not the same person as one of
// have or one kept before them, in order of score times the fraction of their box inside the
// image (a pose mostly outside the image is the least reliable of two), and returns them most
// confident first.
func (e *Estimator) dedupe(people, have []Person, bounds image.Rectangle) []Person {
	rank := make([]float64, len(people))
	order := make([]int, len(people))
	for i, p := range people {
		order[i] = i
		rank[i] = p.Score * insideImage(p.Box, bounds)
	}
	sort.SliceStable(order, func(a, b int) bool { return rank[order[a]] > rank[order[b]] })
	var out []Person
	for _, i := range order {
		p := people[i]
		if len(have)+len(out) >= e.opts.MaxPeople {
			break
		}
		if overlapsAny(p, have, e.opts.MaxOverlap, bounds) || overlapsAny(p, out, e.opts.MaxOverlap, bounds) {
			continue
		}
		out = append(out, p)
	}
	sortByScore(out)
	return out
}

// insideImage is the fraction of box b inside bounds (1 for an empty box).
func insideImage(b [4]float64, bounds image.Rectangle) float64 {
	if !(b[2]*b[3] > 0) {
		return 1
	}
	r := [4]float64{float64(bounds.Min.X), float64(bounds.Min.Y), float64(bounds.Dx()), float64(bounds.Dy())}
	return inside(b, r)
}

// overlapsAny reports whether p is the same person as one of people: their keypoint boxes'
// IoU is above maxIoU, or one's confident keypoints in the image lie (80% of them) in the other's
// box (a second detection of one person, from a tile that saw only part of them).
func overlapsAny(p Person, people []Person, maxIoU float64, bounds image.Rectangle) bool {
	for _, q := range people {
		if blazepose.IoU(p.Box, q.Box) > maxIoU || keypointsInside(p, q.Box, bounds) > maxInside || keypointsInside(q, p.Box, bounds) > maxInside {
			return true
		}
	}
	return false
}

// keypointsInside returns the fraction of p's keypoints (confidence at least 0.5, in bounds)
// that lie in box b enlarged by a tenth; with fewer than 4 such keypoints, the fraction of p's
// box inside b.
func keypointsInside(p Person, b [4]float64, bounds image.Rectangle) float64 {
	mx, my := b[2]*0.05, b[3]*0.05
	n, in := 0, 0
	for _, k := range p.Keypoints {
		if k.Score < 0.5 || k.X < float64(bounds.Min.X) || k.Y < float64(bounds.Min.Y) || k.X >= float64(bounds.Max.X) || k.Y >= float64(bounds.Max.Y) {
			continue
		}
		n++
		if k.X >= b[0]-mx && k.X <= b[0]+b[2]+mx && k.Y >= b[1]-my && k.Y <= b[1]+b[3]+my {
			in++
		}
	}
	if n < 4 {
		return inside(p.Box, b)
	}
	return float64(in) / float64(n)
}

// maxInside is the fraction of a pose's box inside a more confident pose's above which both are
// the same person (detections of one person from several tiles).
const maxInside = 0.8

// inside returns the fraction of box a's area that lies in box b.
func inside(a, b [4]float64) float64 {
	iw := math.Min(a[0]+a[2], b[0]+b[2]) - math.Max(a[0], b[0])
	ih := math.Min(a[1]+a[3], b[1]+b[3]) - math.Max(a[1], b[1])
	if iw <= 0 || ih <= 0 || !(a[2]*a[3] > 0) {
		return 0
	}
	return iw * ih / (a[2] * a[3])
}

func finite(v ...float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
