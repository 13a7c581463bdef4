package render

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// labelHeight is the height in pixels of the header LabelColumns adds (7×13 font and margins).
const labelHeight = 18

// LabelColumns returns grid (from Grid with cols columns of cellW-pixel cells and gap pixels
// between them) with a header row naming each column, centred above it in black on bg, in a 7×13
// bitmap font. A label wider than its cell is cut with "…"-like "..".
func LabelColumns(grid *image.RGBA, labels []string, cellW, gap int, bg color.RGBA) (*image.RGBA, error) {
	if cellW < 1 || gap < 0 {
		return nil, fmt.Errorf("render: labels over %d-pixel cells, gap %d", cellW, gap)
	}
	b := grid.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()+labelHeight))
	draw.Draw(out, out.Bounds(), &image.Uniform{C: bg}, image.Point{}, draw.Src)
	draw.Draw(out, image.Rect(0, labelHeight, b.Dx(), b.Dy()+labelHeight), grid, b.Min, draw.Src)
	face := basicfont.Face7x13
	d := &font.Drawer{Dst: out, Src: image.NewUniform(color.RGBA{0, 0, 0, 255}), Face: face}
	for i, l := range labels {
		maxChars := max(1, cellW/face.Advance)
		if r := []rune(l); len(r) > maxChars {
			l = string(r[:max(0, maxChars-2)]) + ".."
		}
		w := d.MeasureString(l).Ceil()
		x := gap + i*(cellW+gap) + (cellW-w)/2
		d.Dot = fixed.P(max(x, 0), labelHeight-5)
		d.DrawString(l)
	}
	return out, nil
}
