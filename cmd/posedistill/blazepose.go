package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/skeleton"
)

// runBlazePose runs MediaPipe BlazePose (detector + landmark model, translated from TFLite) on
// the images of a COCO dataset and writes COCO keypoint results (COCO-17 joints, image pixels).
func runBlazePose(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("blazepose", "blazepose --data ANN.json --images DIR --out RESULTS.json [--model lite|full|heavy]", stderr)
	data := fs.String("data", "", "COCO annotation `file` listing the images")
	images := fs.String("images", "", "`directory` the images' file_name entries are relative to")
	out := fs.String("out", "", "COCO keypoint results `file` to write")
	model := fs.String("model", "full", "landmark model: lite, full or heavy")
	defCache, err := modelstore.DefaultCacheDir()
	if err != nil {
		return err
	}
	cache := fs.String("cache", defCache, "model cache `directory` (see 'posedistill models fetch blazepose')")
	limit := fs.Int("limit", 0, "process at most `n` images (0: all)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	files := map[string]string{"lite": modelstore.PoseLandmarkLite, "full": modelstore.PoseLandmarkFull, "heavy": modelstore.PoseLandmarkHeavy}
	landmarks, ok := files[*model]
	if *data == "" || *images == "" || *out == "" || !ok {
		fmt.Fprintln(stderr, "blazepose: --data, --images and --out are required; --model is lite, full or heavy")
		fs.Usage()
		return errUsage
	}
	d, err := dataset.Read(ctx, *data, dataset.ReadOptions{})
	if err != nil {
		return err
	}
	catID := 1
	if len(d.Categories) > 0 {
		catID = d.Categories[0].ID
	}
	be, err := backend.New("go")
	if err != nil {
		return fmt.Errorf("go backend: %w", err)
	}
	pipe, err := blazepose.NewPipeline(be, *cache, landmarks)
	if err != nil {
		return fmt.Errorf("%w (run 'posedistill models fetch blazepose' first)", err)
	}
	coco := skeleton.COCO17()
	results := []dataset.Result{}
	start := time.Now()
	n := 0
	for _, im := range d.Images {
		if *limit > 0 && n >= *limit {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		path, err := dataset.ResolveImagePath(*images, im.FileName)
		if err != nil {
			return fmt.Errorf("image %d: %w", im.ID, err)
		}
		img, err := dataset.LoadImageContext(ctx, path)
		if err != nil {
			return err
		}
		people, err := pipe.Estimate(ctx, img)
		if err != nil {
			return fmt.Errorf("image %d %s: %w", im.ID, im.FileName, err)
		}
		for _, p := range people {
			kp, err := p.Keypoints(coco)
			if err != nil {
				return err
			}
			results = append(results, dataset.Result{ImageID: im.ID, CategoryID: catID, Keypoints: kp,
				Score: p.Detection.Score * p.Pose.Score})
		}
		n++
	}
	if err := dataset.WriteResults(*out, results); err != nil {
		return err
	}
	per := time.Duration(0)
	if n > 0 {
		per = time.Since(start) / time.Duration(n)
	}
	fmt.Fprintf(stdout, "blazepose (%s): %d images, %d people, %v per image; wrote %s\n", *model, n, len(results), per.Round(time.Millisecond), *out)
	return nil
}
