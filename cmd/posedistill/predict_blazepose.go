package main

import (
	"fmt"
	"image"
	"image/draw"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/render"
)

// isBlazePoseModel reports whether a --model value names a BlazePose landmark model.
func isBlazePoseModel(model string) bool { return modelstore.IsBlazePose(model) }

// minPoseScore is the pose flag below which a detected or tracked crop holds no person.
const minPoseScore = 0.5

// openBlazePose opens the go backend and the BlazePose pipeline for a --model name, with the
// models from the cache ($POSEDISTILL_CACHE or the user cache).
func openBlazePose(model string) (*blazepose.Pipeline, error) {
	file, err := modelstore.BlazePoseLandmark(model)
	if err != nil {
		return nil, err
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

// renderMask tints a BlazePose segmentation mask in the palette colour of entry colour.
func renderMask(canvas *image.RGBA, mask *dataset.Mask, colour int) error {
	return render.Mask(canvas, mask, render.Palette(colour), 0.35)
}

// toRGBA copies img into a new RGBA image with origin (0, 0).
func toRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	c := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(c, c.Bounds(), img, b.Min, draw.Src)
	return c
}
