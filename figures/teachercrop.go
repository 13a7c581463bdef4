package figures

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/posedistill/posedistill/distill"
)

// TeacherCropFigure writes a PNG of one student crop beside the teacher's own crop of the same
// region of the original image, side by side at the teacher crop's height: on the left the
// student's crop (studentRaw, [CropH, CropW, 3] 0–255 values, enlarged), on the right the
// teacher's tw×th crop (View.TeacherCrop with offset) with the student's region outlined in red.
func TeacherCropFigure(path string, v distill.View, studentRaw []float32, tw, th int, offset float64) error {
	if len(studentRaw) != v.CropW*v.CropH*3 {
		return fmt.Errorf("teacher crop figure: student crop has %d values, want %dx%dx3", len(studentRaw), v.CropW, v.CropH)
	}
	crop, t2i, err := v.TeacherCrop(tw, th, offset)
	if err != nil {
		return fmt.Errorf("teacher crop figure: %w", err)
	}
	scale := float64(th) / float64(v.CropH)
	sw := int(math.Round(float64(v.CropW) * scale))
	left := image.NewRGBA(image.Rect(0, 0, sw, th))
	for y := range th {
		for x := range sw {
			sx, sy := min(int(float64(x)/scale), v.CropW-1), min(int(float64(y)/scale), v.CropH-1)
			p := studentRaw[(sy*v.CropW+sx)*3:]
			left.Set(x, y, color.RGBA{byte8(p[0]), byte8(p[1]), byte8(p[2]), 255})
		}
	}
	right := image.NewRGBA(image.Rect(0, 0, tw, th))
	for y := range th {
		for x := range tw {
			p := crop[(y*tw+x)*3:]
			right.Set(x, y, color.RGBA{byte8(p[0]), byte8(p[1]), byte8(p[2]), 255})
		}
	}
	i2t, err := t2i.Inverse()
	if err != nil {
		return fmt.Errorf("teacher crop figure: %w", err)
	}
	corners := [][2]float64{{0, 0}, {float64(v.CropW), 0}, {float64(v.CropW), float64(v.CropH)}, {0, float64(v.CropH)}}
	red := color.RGBA{255, 0, 0, 255}
	for i, a := range corners {
		b := corners[(i+1)%4]
		ax, ay := i2t.Apply(v.ToImage.Apply(a[0], a[1]))
		bx, by := i2t.Apply(v.ToImage.Apply(b[0], b[1]))
		for s := 0.0; s <= 1; s += 0.002 {
			x, y := int(ax+(bx-ax)*s-offset), int(ay+(by-ay)*s-offset)
			x, y = min(max(x, 0), tw-1), min(max(y, 0), th-1)
			right.Set(x, y, red)
		}
	}
	return writeGrid(path, []image.Image{left, right}, 2, max(sw, tw), th)
}

// byte8 clamps a 0–255 value to a byte.
func byte8(v float32) uint8 { return uint8(min(max(v+0.5, 0), 255)) }
