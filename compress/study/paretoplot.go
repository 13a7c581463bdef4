package study

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"github.com/posedistill/posedistill/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// PlotPareto draws every variant of r as a labelled point of AP against latency (Measurement.Latency)
// and the Pareto front as a line through its points, as a PNG written atomically to path.
func PlotPareto(path string, r *Report) error {
	return plotFront(path, r, "COCO AP", "AP", func(m Measurement) float64 { return m.AP })
}

// PlotAgreement is PlotPareto with the agreement AP (fidelity to the original network) in place of
// the AP, and the Pareto front by agreement.
func PlotAgreement(path string, r *Report) error {
	return plotFront(path, r, "agreement AP with the original", "agreement AP", func(m Measurement) float64 { return m.Agreement })
}

// plotFront draws score against latency with the Pareto front by score.
func plotFront(path string, r *Report, title, ylabel string, score func(Measurement) float64) error {
	p := plot.New()
	p.Title.Text = r.Model + ": " + title + " against batch-1 latency"
	p.X.Label.Text = "latency (ms)"
	p.Y.Label.Text = ylabel
	if len(r.Rows) > 0 && r.Rows[0].ORTMs > 0 {
		p.X.Label.Text = "latency in ONNX Runtime (ms)"
	} else if len(r.Rows) > 0 {
		p.X.Label.Text = "latency on the go backend (ms)"
	}
	pts := make(plotter.XYs, len(r.Rows))
	labels := make([]string, len(r.Rows))
	top, right := 0.05, 0.0
	for i, m := range r.Rows {
		pts[i] = plotter.XY{X: m.Latency(), Y: score(m)}
		labels[i] = m.Variant
		top = math.Max(top, score(m))
		right = math.Max(right, m.Latency())
	}
	if len(pts) > 0 {
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		sc.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
		sc.Radius = vg.Points(3)
		p.Add(sc)
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: labels})
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		for i := range lb.TextStyle {
			lb.TextStyle[i].XAlign = draw.XLeft
		}
		lb.Offset = vg.Point{X: vg.Points(4), Y: vg.Points(2)}
		p.Add(lb)
		front := ParetoFrontBy(r.Rows, score)
		fp := make(plotter.XYs, len(front))
		for k, i := range front {
			fp[k] = pts[i]
		}
		l, err := plotter.NewLine(fp)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		l.Color = color.RGBA{R: 214, G: 39, B: 40, A: 255}
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
		p.Legend.Add("Pareto front", l)
	}
	p.X.Min, p.X.Max = 0, math.Max(1e-3, 1.3*right)
	p.Y.Min, p.Y.Max = 0, math.Min(1, 1.15*top)
	p.Legend.Top = true
	img := vgimg.New(8*vg.Inch, 5*vg.Inch)
	p.Draw(draw.New(img))
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}
