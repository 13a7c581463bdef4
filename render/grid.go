package render

import (
	"fmt"
	"image"
	"image/color"
)

// Grid lays images out in rows of cols cells of cellW × cellH pixels separated by gap pixels of
// background colour bg. Each image is scaled (bilinear, aspect ratio kept) to fit its cell.
func Grid(images []image.Image, cols, cellW, cellH, gap int, bg color.RGBA) (*image.RGBA, error) {
	if cols < 1 || cellW < 1 || cellH < 1 || gap < 0 {
		return nil, fmt.Errorf("render: grid of %d columns of %dx%d cells, gap %d", cols, cellW, cellH, gap)
	}
	if len(images) == 0 {
		return nil, fmt.Errorf("render: grid of no images")
	}
	cols = min(cols, len(images))
	rows := (len(images) + cols - 1) / cols
	out := image.NewRGBA(image.Rect(0, 0, cols*cellW+(cols+1)*gap, rows*cellH+(rows+1)*gap))
	for i := 0; i < len(out.Pix); i += 4 {
		out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = bg.R, bg.G, bg.B, 255
	}
	for i, im := range images {
		x0 := gap + (i%cols)*(cellW+gap)
		y0 := gap + (i/cols)*(cellH+gap)
		fit(out, image.Rect(x0, y0, x0+cellW, y0+cellH), im)
	}
	return out, nil
}

// fit draws src scaled into cell, centred, keeping its aspect ratio.
func fit(dst *image.RGBA, cell image.Rectangle, src image.Image) {
	sb := src.Bounds()
	if sb.Empty() {
		return
	}
	sw, sh := float64(sb.Dx()), float64(sb.Dy())
	s := min(float64(cell.Dx())/sw, float64(cell.Dy())/sh)
	w, h := int(sw*s), int(sh*s)
	ox := cell.Min.X + (cell.Dx()-w)/2
	oy := cell.Min.Y + (cell.Dy()-h)/2
	for y := range h {
		for x := range w {
			c := sample(src, (float64(x)+0.5)/s-0.5, (float64(y)+0.5)/s-0.5)
			o := dst.PixOffset(ox+x, oy+y)
			dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2], dst.Pix[o+3] = c.R, c.G, c.B, 255
		}
	}
}

// sample reads src bilinearly at continuous pixel-centre coordinates (x, y) relative to its
// bounds, clamping at the edges.
func sample(src image.Image, x, y float64) color.RGBA {
	b := src.Bounds()
	cl := func(v, lo, hi int) int { return max(lo, min(hi, v)) }
	x0, y0 := int(x), int(y)
	if x < 0 {
		x0 = -1
	}
	if y < 0 {
		y0 = -1
	}
	fx, fy := x-float64(x0), y-float64(y0)
	var acc [3]float64
	for _, t := range [4]struct {
		dx, dy int
		w      float64
	}{{0, 0, (1 - fx) * (1 - fy)}, {1, 0, fx * (1 - fy)}, {0, 1, (1 - fx) * fy}, {1, 1, fx * fy}} {
		px := b.Min.X + cl(x0+t.dx, 0, b.Dx()-1)
		py := b.Min.Y + cl(y0+t.dy, 0, b.Dy()-1)
		r, g, bb, _ := src.At(px, py).RGBA()
		acc[0] += t.w * float64(r>>8)
		acc[1] += t.w * float64(g>>8)
		acc[2] += t.w * float64(bb>>8)
	}
	return color.RGBA{uint8(acc[0] + 0.5), uint8(acc[1] + 0.5), uint8(acc[2] + 0.5), 255}
}
