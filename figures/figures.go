package figures

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/eval"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	vgdraw "gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/render"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// Model is a trained network under a display name.
type Model struct {
	Name    string
	Teacher *distill.NetTeacher
}

// firstBatch returns the plain crops of the first n instances.
func firstBatch(ctx context.Context, sc topdown.Config, insts []topdown.Instance, n int) (*topdown.Batch, error) {
	sc.Augment = nil
	n = min(n, len(insts))
	if n == 0 {
		return nil, fmt.Errorf("no instances")
	}
	return topdown.FirstBatch(ctx, topdown.LoaderConfig{Sample: sc, BatchSize: n, Workers: 1, Epochs: 1}, insts[:n])
}

// HeatmapFigure writes a PNG grid: one row per held-out crop (the first n instances), the GT
// targets in the first column and each model's heatmaps (maximum over joints, over the crop) in
// the next ones.
func HeatmapFigure(ctx context.Context, path string, sc topdown.Config, insts []topdown.Instance, n int, models []Model) error {
	b, err := firstBatch(ctx, sc, insts, n)
	if err != nil {
		return fmt.Errorf("heatmap figure: %w", err)
	}
	rows := b.Len()
	h, w := b.Heatmaps.Shape[1], b.Heatmaps.Shape[2]
	heat := [][]float32{b.Heatmaps.Data}
	for _, m := range models {
		out, err := m.Teacher.Predict(ctx, b.Images, h, w)
		if err != nil {
			return fmt.Errorf("heatmap figure: %s: %w", m.Name, err)
		}
		heat = append(heat, out.Heatmaps)
	}
	ipx, hpx := len(b.Images.Data)/rows, len(b.Heatmaps.Data)/rows
	var cells []image.Image
	for r := range rows {
		for _, hm := range heat {
			s := &topdown.Sample{Image: b.Images.Data[r*ipx : (r+1)*ipx], Heatmaps: clamp01(hm[r*hpx : (r+1)*hpx])}
			img, err := sc.Preview(s)
			if err != nil {
				return fmt.Errorf("heatmap figure: %w", err)
			}
			cells = append(cells, img)
		}
	}
	labels := []string{"GT"}
	for _, m := range models {
		labels = append(labels, m.Name)
	}
	return writeGrid(path, cells, len(heat), sc.Codec.InputW*2, sc.Codec.InputH*2, labels...)
}

// clamp01 returns a copy of v clamped to [0, 1].
func clamp01(v []float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = min(max(x, 0), 1)
	}
	return out
}

// OverlayFigure writes a PNG grid: one row per held-out image (n images, front, side and back
// views in turn, see firstImages), one column per model, each model's top-down predictions (on the GT boxes) drawn over the image.
func OverlayFigure(ctx context.Context, path string, sc topdown.Config, split *train.Split, n int, models []Model) error {
	order, byImage := firstImages(split, n)
	var cells []image.Image
	for _, id := range order {
		insts := byImage[id]
		src, err := dataset.LoadImage(insts[0].ImagePath)
		if err != nil {
			return fmt.Errorf("overlay figure: %w", err)
		}
		for _, m := range models {
			own := sc // each model's maps are decoded by its own codec (a heatmap teacher, an integral student)
			if msc := m.Teacher.SampleConfig(); msc.Codec != nil {
				own = msc
			}
			res, err := train.Predict(ctx, heatmapFunc(ctx, m.Teacher, own), own, insts, len(insts), false)
			if err != nil {
				return fmt.Errorf("overlay figure: %s: %w", m.Name, err)
			}
			img := image.NewRGBA(src.Bounds())
			draw.Draw(img, img.Rect, src, src.Bounds().Min, draw.Src)
			st := render.DefaultStyle(img.Rect.Dy())
			// Every joint of every (GT) person is drawn whatever its score: a spread, unsure
			// student's guesses are what the figure is for.
			st.MinScore, st.Occlusion = -math.MaxFloat64, false // only a joint with no finite score (-Inf) is hidden
			for _, r := range res {
				if err := render.Skeleton(img, sc.Joints, r.Keypoints, st); err != nil {
					return fmt.Errorf("overlay figure: %w", err)
				}
			}
			cells = append(cells, img)
		}
	}
	if len(cells) == 0 {
		return fmt.Errorf("overlay figure: no images")
	}
	b := cells[0].Bounds()
	labels := make([]string, len(models))
	for i, m := range models {
		labels[i] = m.Name
	}
	return writeGrid(path, cells, len(models), b.Dx()*2, b.Dy()*2, labels...)
}

// heatmapFunc adapts a trained network to train.HeatmapFunc at the codec's heatmap size, with its
// own outputs (which sc's codec decodes).
func heatmapFunc(ctx context.Context, t *distill.NetTeacher, sc topdown.Config) train.HeatmapFunc {
	return func(images topdown.Tensor) ([]float32, error) {
		out, err := t.Outputs(ctx, images, sc.Codec.HeatH, sc.Codec.HeatW)
		return out.Heatmaps, err
	}
}

// writeGrid lays cells out in cols columns, under a header naming the columns when labels are
// given, and writes the PNG atomically.
func writeGrid(path string, cells []image.Image, cols, cw, ch int, labels ...string) error {
	white := color.RGBA{255, 255, 255, 255}
	g, err := render.Grid(cells, cols, cw, ch, 4, white)
	if err != nil {
		return err
	}
	if len(labels) > 0 {
		if g, err = render.LabelColumns(g, labels, cw, 4, white); err != nil {
			return err
		}
	}
	return atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, g) })
}

// PlotLosses draws the training-loss curves of runs (by label) from their metrics.jsonl files
// on a log scale, as a PNG.
func PlotLosses(path string, runs map[string]string, order []string) error {
	p := plot.New()
	p.Title.Text = "training loss (total of the weighted terms)"
	p.X.Label.Text = "step"
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, name := range order {
		recs, err := train.ReadRecords(metricsPath(runs[name]))
		if err != nil {
			return err
		}
		var xy plotter.XYs
		for _, r := range recs {
			if r.Loss > 0 {
				xy = append(xy, plotter.XY{X: float64(r.Step), Y: r.Loss})
				lo, hi = min(lo, r.Loss), max(hi, r.Loss)
			}
		}
		if len(xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		l.Color = render.Palette(i)
		p.Add(l)
		p.Legend.Add(name, l)
	}
	if hi > 0 {
		// Set the log axis' range: gonum widens a single value by ±1, below zero under 1.
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Min, p.Y.Max = lo/1.25, hi*1.25
	}
	img := vgimg.New(8*vg.Inch, 4*vg.Inch)
	p.Draw(vgdraw.New(img))
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}

// metricsPath returns path, or its metrics.jsonl when path is a run directory.
func metricsPath(path string) string {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return filepath.Join(path, train.MetricsFile)
	}
	return path
}

// firstImages returns up to n images of the split with their instances, in the split's order
// but taking front, side and back views in turn (by eval.FacingOf of an image's first person)
// where the annotations carry 3D joints, so that a figure shows every facing.
func firstImages(split *train.Split, n int) ([]int64, map[int64][]topdown.Instance) {
	byImage := map[int64][]topdown.Instance{}
	byFacing := map[eval.Facing][]int64{}
	var all []int64
	for _, in := range split.Instances {
		if _, ok := byImage[in.Image.ID]; !ok {
			all = append(all, in.Image.ID)
			f := eval.FacingOf(in.Annotation.Joints3D)
			byFacing[f] = append(byFacing[f], in.Image.ID)
		}
		byImage[in.Image.ID] = append(byImage[in.Image.ID], in)
	}
	if len(byFacing[eval.FacingUnknown]) == len(all) {
		return all[:min(n, len(all))], byImage
	}
	var order []int64
	for len(order) < min(n, len(all)) {
		for _, f := range append(eval.Facings(), eval.FacingUnknown) {
			if len(order) < n && len(byFacing[f]) > 0 {
				order = append(order, byFacing[f][0])
				byFacing[f] = byFacing[f][1:]
			}
		}
	}
	return order, byImage
}
