package main

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"io"
	"strings"
	"time"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/modelstore"
)

// blazePoseModels maps the --model names of predict and video to landmark model files.
var blazePoseModels = map[string]string{
	"blazepose-lite":  modelstore.PoseLandmarkLite,
	"blazepose-full":  modelstore.PoseLandmarkFull,
	"blazepose-heavy": modelstore.PoseLandmarkHeavy,
}

// isBlazePoseModel reports whether a --model value names a BlazePose landmark model.
func isBlazePoseModel(model string) bool {
	_, ok := blazePoseModels[model]
	return ok
}

// minPoseScore is the pose flag below which a detected or tracked crop holds no person.
const minPoseScore = 0.5

// openBlazePose opens the go backend and the BlazePose pipeline for a --model name, with the
// models from the cache ($POSEDISTILL_CACHE or the user cache).
func openBlazePose(model string) (*blazepose.Pipeline, error) {
	file, ok := blazePoseModels[model]
	if !ok {
		return nil, fmt.Errorf("model %q: want blazepose-lite, blazepose-full or blazepose-heavy", model)
	}
	cache, err := modelstore.DefaultCacheDir()
	if err != nil {
		return nil, err
	}
	be, err := backend.New("go")
	if err != nil {
		return nil, err
	}
	pipe, err := blazepose.NewPipeline(be, cache, file)
	if err != nil {
		return nil, fmt.Errorf("%w (run 'posedistill models fetch blazepose' first)", err)
	}
	return pipe, nil
}

// predictBlazePose runs BlazePose (model blazepose-lite, -full or -heavy) on one image and writes
// COCO results with the 33 landmarks and world landmarks to out, and an overlay PNG (skeleton,
// box, tinted segmentation mask) next to it (out with .png). The predict command calls it when
// --model names a BlazePose model.
func predictBlazePose(ctx context.Context, model, image, out string, stdout, stderr io.Writer) error {
	if image == "" || out == "" {
		return fmt.Errorf("predict %s: --image and --out are required", model)
	}
	pipe, err := openBlazePose(model)
	if err != nil {
		return err
	}
	img, err := dataset.LoadImageContext(ctx, image)
	if err != nil {
		return err
	}
	start := time.Now()
	people, err := pipe.Estimate(ctx, img)
	if err != nil {
		return fmt.Errorf("%s: %w", image, err)
	}
	elapsed := time.Since(start)
	canvas := toRGBA(img)
	results := []blazepose.Result{}
	for _, p := range people {
		if p.Pose.Score < minPoseScore {
			fmt.Fprintf(stderr, "predict: dropped a detection (score %.2f) whose crop has pose flag %.2f\n", p.Detection.Score, p.Pose.Score)
			continue
		}
		r, err := p.Result(1, 1)
		if err != nil {
			return fmt.Errorf("%s: %w", image, err)
		}
		mask, err := p.Mask(canvas.Rect.Dx(), canvas.Rect.Dy(), 0.5)
		if err != nil {
			return fmt.Errorf("%s: %w", image, err)
		}
		if err := blazepose.Draw(canvas, r, mask, len(results)); err != nil {
			return err
		}
		results = append(results, r)
	}
	// The results and the overlay are replaced together, or neither is.
	var outputs atomicfile.Group
	defer outputs.Abort()
	if err := blazepose.WriteResults(outputs.Path(out), results); err != nil {
		return err
	}
	overlay := strings.TrimSuffix(out, ".json") + ".png"
	if err := dataset.SaveImage(outputs.Path(overlay), canvas); err != nil {
		return err
	}
	if err := outputs.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s on %s: %d people in %v; wrote %s and %s\n", model, image, len(results),
		elapsed.Round(time.Millisecond), out, overlay)
	return nil
}

// toRGBA copies img into a new RGBA image with origin (0, 0).
func toRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	c := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(c, c.Bounds(), img, b.Min, draw.Src)
	return c
}
