package figures

import (
	"fmt"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	vgdraw "gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/render"
	"github.com/posedistill/posedistill/train"
)

// Curve is one run's learning curve: a name and its metrics log (a run directory or its
// metrics.jsonl).
type Curve struct {
	Name, Metrics string
}

// Level is a horizontal reference line: another model's score, or a target.
type Level struct {
	Name  string
	Value float64
}

// AgreementCurves plots the held-out validation scores (metric: "AP", "AP50", … as the runs'
// metrics logs record them) of runs against the training step, with levels as dashed lines, as
// a PNG. A run without validation records is an error: a curve needs points.
func AgreementCurves(path, metric, title string, runs []Curve, levels []Level) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "training step"
	p.Y.Label.Text = metric
	p.Y.Min, p.Y.Max = 0, 1
	last := 0
	for i, c := range runs {
		recs, err := train.ReadRecords(metricsPath(c.Metrics))
		if err != nil {
			return err
		}
		var xy plotter.XYs
		for _, r := range recs {
			if v, ok := r.Val[metric]; ok {
				xy = append(xy, plotter.XY{X: float64(r.Step), Y: v})
				last = max(last, r.Step)
			}
		}
		if len(xy) == 0 {
			return fmt.Errorf("agreement curve %s: %s has no %s validation record", path, c.Metrics, metric)
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return fmt.Errorf("agreement curve %s: %w", path, err)
		}
		l.Color, pts.Color = render.Palette(i), render.Palette(i)
		p.Add(l, pts)
		p.Legend.Add(c.Name, l, pts)
	}
	for i, lv := range levels {
		l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: lv.Value}, {X: float64(max(last, 1)), Y: lv.Value}})
		if err != nil {
			return fmt.Errorf("agreement curve %s: %w", path, err)
		}
		l.Color = render.Palette(len(runs) + i)
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (%.3f)", lv.Name, lv.Value), l)
	}
	p.Legend.Top = true
	img := vgimg.New(8*vg.Inch, 4*vg.Inch)
	p.Draw(vgdraw.New(img))
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}
