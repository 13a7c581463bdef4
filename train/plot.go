package train

import (
	"fmt"
	"image/color"
	"io"

	"github.com/posedistill/posedistill/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// PlotCurves draws a metrics log as a PNG: the training loss (log scale) on the left, the
// validation AP and AR on the right.
func PlotCurves(metricsPath, pngPath, title string) error {
	recs, err := ReadRecords(metricsPath)
	if err != nil {
		return err
	}
	var loss, ap, ar plotter.XYs
	for _, r := range recs {
		if r.Loss > 0 {
			loss = append(loss, plotter.XY{X: float64(r.Step), Y: r.Loss})
		}
		if r.Val != nil {
			ap = append(ap, plotter.XY{X: float64(r.Step), Y: r.Val["AP"]})
			ar = append(ar, plotter.XY{X: float64(r.Step), Y: r.Val["AR"]})
		}
	}
	lp := plot.New()
	lp.Title.Text = title + ": training loss"
	lp.X.Label.Text = "step"
	if len(loss) > 0 {
		l, err := plotter.NewLine(loss)
		if err != nil {
			return fmt.Errorf("plot %s: %w", pngPath, err)
		}
		lp.Add(l)
		// A log axis needs a positive range: gonum widens an empty one (a single record) by ±1,
		// below zero for a loss under 1, and its log ticks then panic.
		lo, hi := loss[0].Y, loss[0].Y
		for _, p := range loss {
			lo, hi = min(lo, p.Y), max(hi, p.Y)
		}
		lp.Y.Scale = plot.LogScale{}
		lp.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		lp.Y.Min, lp.Y.Max = lo/1.25, hi*1.25
	}
	vp := plot.New()
	vp.Title.Text = title + ": validation (COCO OKS)"
	vp.X.Label.Text = "step"
	vp.Y.Min, vp.Y.Max = 0, 1
	for i, s := range []struct {
		name string
		xy   plotter.XYs
	}{{"AP", ap}, {"AR", ar}} {
		if len(s.xy) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(s.xy)
		if err != nil {
			return fmt.Errorf("plot %s: %w", pngPath, err)
		}
		l.Color = plotColor(i)
		pts.Color = plotColor(i)
		vp.Add(l, pts)
		vp.Legend.Add(s.name, l, pts)
	}
	vp.Legend.Top = false
	img := vgimg.New(12*vg.Inch, 4*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{{lp, vp}}, tiles, dc)
	lp.Draw(canvases[0][0])
	vp.Draw(canvases[0][1])
	return atomicfile.Write(pngPath, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}

// plotColor returns a distinct colour per series.
func plotColor(i int) color.RGBA {
	return []color.RGBA{{R: 31, G: 119, B: 180, A: 255}, {R: 214, G: 39, B: 40, A: 255}}[i%2]
}
