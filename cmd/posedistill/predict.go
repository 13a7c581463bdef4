package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"io"
	"os"
	"strings"

	backends "github.com/posedistill/posedistill/backend"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/render"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/train"
)

// runPredict estimates poses in one image with a trained run.
func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("predict", "predict --model RUN --image IMG [--boxes BOXES.json] --out results.json [--overlay out.png] [--flip]", stderr)
	runDir := fs.String("model", "", "run directory of posedistill train (best.ckpt, else checkpoint.ckpt), or blazepose-{lite,full,heavy}, movenet-{lightning,thunder,multipose}")
	imgPath := fs.String("image", "", "image file (JPEG or PNG)")
	boxesPath := fs.String("boxes", "", "person boxes: a JSON list of [x, y, w, h], or of COCO detections/annotations with \"bbox\" (default: the whole image)")
	out := fs.String("out", "", "COCO results JSON to write")
	overlay := fs.String("overlay", "", "overlay PNG to write (default: --out with .png)")
	imageID := fs.Int64("image-id", 1, "image_id of the results")
	flip := fs.Bool("flip", true, "flip test (average with the mirrored crop)")
	backendName := fs.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND, then go)")
	multiPoseSize := fs.Int("multipose-size", 256, "movenet-multipose: the longer side the image is resized to (a multiple of 32; larger finds smaller people)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *runDir == "" || *imgPath == "" || *out == "" {
		fmt.Fprintln(fs.Output(), "posedistill predict: --model, --image and --out are required")
		fs.Usage()
		return errUsage
	}
	if isBlazePoseModel(*runDir) {
		return predictBlazePose(ctx, *runDir, *imgPath, *out, stdout, stderr)
	}
	if isMoveNetModel(*runDir) {
		return predictMoveNet(ctx, *runDir, *imgPath, *out, *overlay, *imageID, *multiPoseSize, stdout)
	}
	if *overlay == "" {
		*overlay = strings.TrimSuffix(*out, ".json") + ".png"
	}
	var boxes [][4]float64
	if *boxesPath != "" {
		var err error
		if boxes, err = readBoxes(*boxesPath); err != nil {
			return err
		}
	}
	img, err := dataset.LoadImageContext(ctx, *imgPath)
	if err != nil {
		return err
	}
	backend, err := backends.New(*backendName)
	if err != nil {
		return err
	}
	defer backend.Finalize()
	m, err := train.LoadModel(*runDir, backend)
	if err != nil {
		return err
	}
	defer m.Close()
	results, err := m.PredictImage(ctx, img, *imageID, boxes, *flip)
	if err != nil {
		return fmt.Errorf("%s: %w", *imgPath, err)
	}
	// The results and the overlay are replaced together, or neither is.
	var outputs atomicfile.Group
	defer outputs.Abort()
	if err := dataset.WriteResults(outputs.Path(*out), results); err != nil {
		return err
	}
	b := img.Bounds()
	canvas := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(canvas, canvas.Bounds(), img, b.Min, draw.Src)
	st := render.DefaultStyle(b.Dy())
	st.MinScore, st.Occlusion = 0.2, false
	for _, r := range results {
		if err := render.Skeleton(canvas, skeleton.COCO17(), r.Keypoints, st); err != nil {
			return err
		}
	}
	for i, bx := range boxes {
		render.Box(canvas, bx, st.Bone, render.Palette(i))
	}
	if err := dataset.SaveImage(outputs.Path(*overlay), canvas); err != nil {
		return err
	}
	if err := outputs.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d poses from %s (step %d) → %s, %s\n", len(results), m.Checkpoint, m.Info.Step, *out, *overlay)
	return nil
}

// readBoxes reads person boxes: a JSON list of [x, y, w, h] or of objects with a "bbox".
func readBoxes(path string) ([][4]float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("boxes %s: %w", path, err)
	}
	var plain [][4]float64
	if err := json.Unmarshal(data, &plain); err == nil {
		return checkBoxes(path, plain)
	}
	var objs []struct {
		BBox *[4]float64 `json:"bbox"`
	}
	if err := json.Unmarshal(data, &objs); err != nil {
		return nil, fmt.Errorf("boxes %s: want a list of [x, y, w, h] or of objects with \"bbox\": %w", path, err)
	}
	boxes := make([][4]float64, 0, len(objs))
	for i, o := range objs {
		if o.BBox == nil {
			return nil, fmt.Errorf("boxes %s: entry %d has no bbox", path, i)
		}
		boxes = append(boxes, *o.BBox)
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
