package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/movenet"
	"github.com/posedistill/posedistill/pose"
)

// poseFlags are the flags of every command that opens a pose.Estimator (predict, video, serve).
type poseFlags struct {
	model, backend, tiles    string
	detector                 string
	minScore, minPoseScore   float64
	minScoreBeside, overlap  float64
	maxPeople, multiPoseSize int
	minMultiPoseScore        float64
	noFlip                   bool
	set                      map[string]bool // flags given on the command line (noteSet)
}

// blazePoseDetectorFlags are the flags of BlazePose's people detector only.
var blazePoseDetectorFlags = []string{"min-score", "min-score-beside", "detect-tiles", "detect-overlap"}

// noteSet records which flags of fs the command line gave, so that options can refuse a flag
// the chosen people detector would ignore.
func (f *poseFlags) noteSet(fs *flag.FlagSet) {
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
}

// register adds the flags to fs.
func (f *poseFlags) register(fs interface {
	StringVar(*string, string, string, string)
	Float64Var(*float64, string, float64, string)
	IntVar(*int, string, int, string)
	BoolVar(*bool, string, bool, string)
}, defaultModel string) {
	fs.StringVar(&f.model, "model", defaultModel, "run directory of posedistill train or distill, or blazepose-{lite,full,heavy}, movenet-{lightning,thunder,multipose}")
	fs.StringVar(&f.backend, "backend", "", "GoMLX backend of a run directory (default $GOMLX_BACKEND, then go)")
	fs.Float64Var(&f.minScore, "min-score", 0.5, "BlazePose's people detector (--detector blazepose or both): lowest detection score kept, in (0, 1)")
	fs.Float64Var(&f.minScoreBeside, "min-score-beside", 0.3, "BlazePose's people detector, with model BlazePose: lowest score of a detection whose face lies in the crop of a person found; it gets a second look with the people found painted out (0: none)")
	fs.Float64Var(&f.minPoseScore, "min-pose-score", 0, "drop poses less confident than this (0: the model's default: BlazePose's pose flag 0.5, MoveNet 0.25, run directories keep every detected person)")
	fs.IntVar(&f.maxPeople, "max-people", 20, "at most this many people per image")
	fs.StringVar(&f.detector, "detector", "", "people detector of a single-person model: blazepose (its person detector over tiles), multipose (MoveNet MultiPose's people) or both, merged (default "+string(pose.DefaultPeopleDetector)+"; movenet-multipose finds people by itself)")
	fs.Float64Var(&f.minMultiPoseScore, "min-multipose-score", 0.25, "MultiPose as the people detector (--detector multipose or both): lowest pose score that makes a person, in (0, 1)")
	fs.StringVar(&f.tiles, "detect-tiles", "auto", "BlazePose's people detector: comma-separated sides (pixels) of the tiles scanned besides the whole image; auto: a half, a quarter and a sixth of the longer side, each when at least 128 pixels; none: the whole image only")
	fs.Float64Var(&f.overlap, "detect-overlap", 0.25, "BlazePose's people detector: fraction of a tile's side its neighbours share, in [0, 0.9]")
	fs.BoolVar(&f.noFlip, "no-flip", false, "run directories: no flip test (it averages with the mirrored crop, twice the work)")
	fs.IntVar(&f.multiPoseSize, "multipose-size", 256, "movenet-multipose: the longer side the image is resized to (a multiple of 32; larger finds smaller people)")
}

// options turns the flags into pose.Options, or a usage error naming the bad flag.
func (f *poseFlags) options() (pose.Options, error) {
	o := pose.Options{Backend: f.backend, MinPoseScore: f.minPoseScore, MaxPeople: f.maxPeople,
		NoFlip: f.noFlip, MultiPoseSize: f.multiPoseSize, Detector: pose.DetectorConfig{MinScore: f.minScore,
			MinScoreBeside: f.minScoreBeside, Overlap: f.overlap, MinMultiPoseScore: f.minMultiPoseScore}}
	d, err := pose.ParsePeopleDetector(f.detector)
	if err != nil {
		return o, fmt.Errorf("--detector: %w", err)
	}
	if f.model == string(movenet.MultiPose) {
		if f.detector != "" && d != pose.DetectMultiPose {
			return o, fmt.Errorf("--detector %s: movenet-multipose finds people by itself", d)
		}
		d = pose.DetectMultiPose
	}
	if f.detector != "" {
		o.Detector.People = d
	}
	if d == pose.DetectMultiPose {
		for _, name := range blazePoseDetectorFlags {
			if f.set[name] {
				return o, fmt.Errorf("--%s sets BlazePose's people detector, which --detector %s does not run (choose --detector blazepose or both)", name, d)
			}
		}
	}
	if !(f.minMultiPoseScore > 0 && f.minMultiPoseScore < 1) {
		return o, fmt.Errorf("--min-multipose-score %v is not in (0, 1)", f.minMultiPoseScore)
	}
	if !(f.minScore > 0 && f.minScore < 1) {
		return o, fmt.Errorf("--min-score %v is not in (0, 1)", f.minScore)
	}
	if !(f.minScoreBeside >= 0 && f.minScoreBeside < 1) {
		return o, fmt.Errorf("--min-score-beside %v is not in [0, 1)", f.minScoreBeside)
	}
	if f.minScoreBeside == 0 {
		o.Detector.MinScoreBeside = -1 // pose.DetectorConfig: negative is none, zero the default
	}
	if !(f.overlap >= 0 && f.overlap <= 0.9) {
		return o, fmt.Errorf("--detect-overlap %v is not in [0, 0.9]", f.overlap)
	}
	if f.overlap == 0 {
		o.Detector.Overlap = -1 // pose.DetectorConfig: negative is no overlap, zero the default
	}
	if f.maxPeople < 1 {
		return o, fmt.Errorf("--max-people %d is not positive", f.maxPeople)
	}
	if f.minPoseScore < 0 || f.minPoseScore >= 1 {
		return o, fmt.Errorf("--min-pose-score %v is not in [0, 1)", f.minPoseScore)
	}
	if f.multiPoseSize < 32 || f.multiPoseSize%32 != 0 || f.multiPoseSize > 4096 {
		return o, fmt.Errorf("--multipose-size %d is not a multiple of 32 in 32–4096", f.multiPoseSize)
	}
	switch f.tiles {
	case "auto":
	case "none":
		o.Detector.Tiles = []int{}
	default:
		for _, s := range strings.Split(f.tiles, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 32 {
				return o, fmt.Errorf("--detect-tiles %q: want auto, none or sides of at least 32 pixels", f.tiles)
			}
			o.Detector.Tiles = append(o.Detector.Tiles, n)
		}
	}
	return o, nil
}

// open opens the estimator the flags describe.
func (f *poseFlags) open() (*pose.Estimator, error) {
	o, err := f.options()
	if err != nil {
		return nil, err
	}
	return pose.Open(f.model, o)
}

// runPredict finds the people in one image and their poses with any model (pose.Estimator):
// COCO results JSON and an overlay PNG.
func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("predict", "predict --model MODEL --image IMG [--boxes BOXES.json] --out results.json [--overlay out.png]", stderr)
	var pf poseFlags
	pf.register(fs, "")
	imgPath := fs.String("image", "", "image file (JPEG or PNG)")
	boxesPath := fs.String("boxes", "", "person boxes, skipping detection: a JSON list of [x, y, w, h], or of COCO detections/annotations with \"bbox\" (those with an image_id other than --image-id's are skipped)")
	out := fs.String("out", "", "results JSON to write (COCO results; BlazePose adds its 33 landmarks)")
	overlay := fs.String("overlay", "", "overlay PNG to write (default: --out with .png)")
	imageID := fs.Int64("image-id", 1, "image_id of the results (and of the --boxes entries used)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pf.noteSet(fs)
	if pf.model == "" || *imgPath == "" || *out == "" {
		fmt.Fprintln(fs.Output(), "posedistill predict: --model, --image and --out are required")
		fs.Usage()
		return errUsage
	}
	if _, err := pf.options(); err != nil {
		fmt.Fprintln(fs.Output(), "posedistill predict:", err)
		return errUsage
	}
	if *overlay == "" {
		*overlay = strings.TrimSuffix(*out, ".json") + ".png"
	}
	var boxes [][4]float64
	if *boxesPath != "" {
		var err error
		if boxes, err = readBoxes(*boxesPath, *imageID); err != nil {
			return err
		}
	}
	img, err := dataset.LoadImageContext(ctx, *imgPath)
	if err != nil {
		return err
	}
	est, err := pf.open()
	if err != nil {
		return err
	}
	defer est.Close()
	start := time.Now()
	var people []pose.Person
	if *boxesPath != "" {
		people, err = est.EstimateBoxes(ctx, img, boxes)
	} else {
		people, err = est.Estimate(ctx, img)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", *imgPath, err)
	}
	elapsed := time.Since(start)
	canvas := toRGBA(img)
	for i, p := range people {
		if p.BlazePose == nil {
			continue
		}
		mask, err := p.BlazePose.Mask(canvas.Rect.Dx(), canvas.Rect.Dy(), 0.5)
		if err != nil {
			return fmt.Errorf("%s: %w", *imgPath, err)
		}
		if err := renderMask(canvas, mask, i); err != nil {
			return err
		}
	}
	if err := pose.Draw(canvas, people); err != nil {
		return err
	}
	// The results and the overlay are replaced together, or neither is.
	var outputs atomicfile.Group
	defer outputs.Abort()
	if err := pose.WriteRecords(outputs.Path(*out), pose.Records(people, *imageID)); err != nil {
		return err
	}
	if err := dataset.SaveImage(outputs.Path(*overlay), canvas); err != nil {
		return err
	}
	if err := outputs.Commit(); err != nil {
		return err
	}
	how := "detected"
	if *boxesPath != "" {
		how = fmt.Sprintf("in %d given boxes", len(boxes))
	}
	fmt.Fprintf(stdout, "%s on %s: %d people (%s) in %v; wrote %s and %s\n", pf.model, *imgPath, len(people), how,
		elapsed.Round(time.Millisecond), *out, *overlay)
	return nil
}

// readBoxes reads person boxes: a JSON list of [x, y, w, h], or of objects with a "bbox" (COCO
// detections or annotations), of which those with an image_id other than imageID are skipped.
func readBoxes(path string, imageID int64) ([][4]float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("boxes %s: %w", path, err)
	}
	var plain [][4]float64
	if err := json.Unmarshal(data, &plain); err == nil {
		return checkBoxes(path, plain)
	}
	var objs []struct {
		BBox    *[4]float64 `json:"bbox"`
		ImageID *int64      `json:"image_id"`
	}
	if err := json.Unmarshal(data, &objs); err != nil {
		return nil, fmt.Errorf("boxes %s: want a list of [x, y, w, h] or of objects with \"bbox\": %w", path, err)
	}
	boxes := [][4]float64{}
	for i, o := range objs {
		if o.BBox == nil {
			return nil, fmt.Errorf("boxes %s: entry %d has no bbox", path, i)
		}
		if o.ImageID != nil && *o.ImageID != imageID {
			continue
		}
		boxes = append(boxes, *o.BBox)
	}
	if len(objs) > 0 && len(boxes) == 0 {
		return nil, fmt.Errorf("boxes %s: none of its %d entries has image_id %d (set --image-id)", path, len(objs), imageID)
	}
	return checkBoxes(path, boxes)
}

// checkBoxes rejects boxes without a positive width and height.
func checkBoxes(path string, boxes [][4]float64) ([][4]float64, error) {
	for i, b := range boxes {
		if !(b[2] > 0 && b[3] > 0) || b[2] > 1e7 || b[3] > 1e7 || b[0] != b[0] || b[1] != b[1] {
			return nil, fmt.Errorf("boxes %s: box %d %v has no positive size", path, i, b)
		}
	}
	return boxes, nil
}
