package main

import (
	"image"
	"image/draw"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/render"
)

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
