package figures

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/render"
	"github.com/posedistill/posedistill/skeleton"
)

// StripRow is one row of a FrameStrip: a model's name and, per frame, the keypoints of the
// people it found (x, y and a score or visibility per joint of the strip's set).
type StripRow struct {
	Name string
	// People[f] are the people of frame f.
	People [][][]float64
	// MinScore hides keypoints scored below it (labels: 0.5 hides the unlabelled ones).
	MinScore float64
}

// StripFrame is one column of a FrameStrip: an image file and the boxes ([x, y, w, h] in its
// pixels) of the people shown, whose union (grown by a fifth on every side) is the region drawn.
type StripFrame struct {
	Path  string
	Label string
	Boxes [][4]float64
}

// FrameStrip writes a PNG: one column per frame, one row per model (top to bottom as rows),
// each cell the frame's region around its people with that model's people drawn over it, all
// cells cellH pixels high; the columns are headed by the frames' labels.
func FrameStrip(path string, set *skeleton.Set, frames []StripFrame, rows []StripRow, cellH int) error {
	if len(frames) == 0 || len(rows) == 0 || cellH < 8 {
		return fmt.Errorf("frame strip %s: %d frames, %d rows, cell height %d", path, len(frames), len(rows), cellH)
	}
	for _, r := range rows {
		if len(r.People) != len(frames) {
			return fmt.Errorf("frame strip %s: row %s has %d frames, want %d", path, r.Name, len(r.People), len(frames))
		}
	}
	regions := make([]image.Rectangle, len(frames))
	srcs := make([]image.Image, len(frames))
	aspect := 0.0
	for f, fr := range frames {
		src, err := dataset.LoadImage(fr.Path)
		if err != nil {
			return fmt.Errorf("frame strip: %w", err)
		}
		srcs[f] = src
		regions[f] = stripRegion(src.Bounds().Size(), fr.Boxes)
		aspect = max(aspect, float64(regions[f].Dx())/float64(regions[f].Dy()))
	}
	cellW := max(int(math.Round(aspect*float64(cellH))), 8)
	var cells []image.Image
	for _, r := range rows {
		for f, src := range srcs {
			reg := regions[f]
			// Drawn at the cell's scale: skeleton strokes sized for the cell, not for the frame.
			scale := float64(cellH) / float64(reg.Dy())
			img, err := scaled(src, reg, max(int(math.Round(float64(reg.Dx())*scale)), 1), cellH)
			if err != nil {
				return fmt.Errorf("frame strip %s: %w", path, err)
			}
			st := render.DefaultStyle(cellH)
			st.Occlusion, st.MinScore = false, r.MinScore
			for _, kps := range r.People[f] {
				moved := make([]float64, len(kps))
				for i := 0; i+2 < len(kps); i += 3 {
					moved[i] = (kps[i] - float64(reg.Min.X)) * scale
					moved[i+1] = (kps[i+1] - float64(reg.Min.Y)) * scale
					moved[i+2] = kps[i+2]
				}
				if err := render.Skeleton(img, set, moved, st); err != nil {
					return fmt.Errorf("frame strip %s: %s: %w", path, r.Name, err)
				}
			}
			cells = append(cells, img)
		}
	}
	white := color.RGBA{255, 255, 255, 255}
	g, err := render.Grid(cells, len(frames), cellW, cellH, 4, white)
	if err != nil {
		return fmt.Errorf("frame strip %s: %w", path, err)
	}
	labels := make([]string, len(frames))
	for i, fr := range frames {
		labels[i] = fr.Label
	}
	if g, err = render.LabelColumns(g, labels, cellW, 4, white); err != nil {
		return fmt.Errorf("frame strip %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, g) })
}

// stripRegion is the union of boxes grown by a fifth of its size on every side, clipped to an
// image of size; the whole image when there are no boxes.
func stripRegion(size image.Point, boxes [][4]float64) image.Rectangle {
	all := image.Rectangle{Max: size}
	if len(boxes) == 0 {
		return all
	}
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, b := range boxes {
		x0, y0 = min(x0, b[0]), min(y0, b[1])
		x1, y1 = max(x1, b[0]+b[2]), max(y1, b[1]+b[3])
	}
	gx, gy := (x1-x0)/5, (y1-y0)/5
	r := image.Rect(int(math.Floor(x0-gx)), int(math.Floor(y0-gy)), int(math.Ceil(x1+gx)), int(math.Ceil(y1+gy))).Intersect(all)
	if r.Dx() < 2 || r.Dy() < 2 {
		return all
	}
	return r
}

// scaled returns the region reg of src scaled to w × h pixels (bilinear, render.Grid's
// resampling with a single cell).
func scaled(src image.Image, reg image.Rectangle, w, h int) (*image.RGBA, error) {
	crop := image.NewRGBA(image.Rectangle{Max: reg.Size()})
	draw.Draw(crop, crop.Rect, src, reg.Min, draw.Src)
	return render.Grid([]image.Image{crop}, 1, w, h, 0, color.RGBA{A: 255})
}
