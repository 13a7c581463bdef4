package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/movenet"
)

// isMoveNetModel reports whether a --model value names a MoveNet model.
func isMoveNetModel(model string) bool {
	for _, m := range movenet.Models() {
		if string(m) == model {
			return true
		}
	}
	return false
}

// openMoveNet opens the go backend and a MoveNet model (movenet-lightning, -thunder or
// -multipose) from the cache ($POSEDISTILL_CACHE or the user cache).
func openMoveNet(model string) (*movenet.Estimator, error) {
	cache, err := modelstore.DefaultCacheDir()
	if err != nil {
		return nil, err
	}
	be, err := backend.New("go")
	if err != nil {
		return nil, err
	}
	e, err := movenet.Open(be, cache, movenet.Model(model))
	if err != nil {
		return nil, fmt.Errorf("%w (run 'posedistill models fetch movenet' first)", err)
	}
	return e, nil
}

// predictMoveNet runs MoveNet (model movenet-lightning, -thunder or -multipose) on one image and
// writes COCO results (17 keypoints, confidence as the third value) to out and an overlay PNG to
// overlay (default: out with .png). The predict command calls it when --model names a MoveNet
// model; MultiPose resizes the image so that its longer side is multiPoseSize.
func predictMoveNet(ctx context.Context, model, image, out, overlay string, imageID int64, multiPoseSize int, stdout io.Writer) error {
	if image == "" || out == "" {
		return fmt.Errorf("predict %s: --image and --out are required", model)
	}
	e, err := openMoveNet(model)
	if err != nil {
		return err
	}
	e.MultiPoseMaxDimension = multiPoseSize
	img, err := dataset.LoadImage(image)
	if err != nil {
		return err
	}
	start := time.Now()
	people, err := e.Estimate(ctx, img)
	if err != nil {
		return fmt.Errorf("%s: %w", image, err)
	}
	elapsed := time.Since(start)
	results := make([]dataset.Result, len(people))
	for i, p := range people {
		results[i] = p.Result(imageID)
	}
	if err := dataset.WriteResults(out, results); err != nil {
		return err
	}
	if overlay == "" {
		overlay = strings.TrimSuffix(out, ".json") + ".png"
	}
	canvas := toRGBA(img)
	if err := movenet.Draw(canvas, people, 0.3); err != nil {
		return err
	}
	if err := dataset.SaveImage(overlay, canvas); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s on %s: %d people in %v; wrote %s and %s\n", model, image, len(people),
		elapsed.Round(time.Millisecond), out, overlay)
	return nil
}
