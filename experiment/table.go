package experiment

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/report"
	"github.com/posedistill/posedistill/skeleton"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/posedistill/posedistill/atomicfile"
)

// Stat is a mean and a sample standard deviation over seeds.
type Stat struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// String formats the statistic as "mean ± std" with three decimals.
func (s Stat) String() string { return fmt.Sprintf("%.3f ± %.3f", s.Mean, s.Std) }

// Cell formats the statistic for a table of runs over seeds: "mean ± std" with the given
// decimals, the mean alone for one seed (a spread of one value is not a spread), and "—" where
// there is no value (NaN, or pycocotools' −1 for an empty area range).
func (s Stat) Cell(seeds, decimals int) string {
	if math.IsNaN(s.Mean) || s.Mean < 0 {
		return "—"
	}
	if seeds <= 1 {
		return fmt.Sprintf("%.*f", decimals, s.Mean)
	}
	return fmt.Sprintf("%.*f ± %.*f", decimals, s.Mean, decimals, s.Std)
}

// Row is one variant of an experiment summarised over its seeds.
type Row struct {
	Variant                  string  `json:"variant"`
	Seeds                    int     `json:"seeds"`
	AP, AP50, AP75, APm, APl Stat    `json:"-"`
	Stats                    []Stat  `json:"stats"`               // AP, AP50, AP75, APm, APl
	PCK                      *Stat   `json:"pck,omitempty"`       // PCK@0.1, box-normalised (2D runs)
	Swap                     *Stat   `json:"swap,omitempty"`      // left/right swap rate of limb joints (2D runs)
	Inversion                *Stat   `json:"inversion,omitempty"` // left/right inversion rate of limb joints (2D runs)
	MPJPE                    *Stat   `json:"mpjpe,omitempty"`
	PAMPJPE                  *Stat   `json:"pa_mpjpe,omitempty"`
	Params                   int64   `json:"params"`
	FLOPs                    int64   `json:"flops"`
	Latency                  float64 `json:"latency_ms"`
}

// meanStd returns the mean and the sample standard deviation (0 for one value).
func meanStd(v []float64) Stat {
	if len(v) == 0 {
		return Stat{Mean: math.NaN(), Std: math.NaN()}
	}
	m := 0.0
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	if len(v) == 1 {
		return Stat{Mean: m}
	}
	s := 0.0
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return Stat{Mean: m, Std: math.Sqrt(s / float64(len(v)-1))}
}

// median returns the median of v (NaN when empty); v is reordered.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// Aggregate groups runs by variant, in order of first appearance.
func Aggregate(runs []Run) []Row {
	var order []string
	by := map[string][]Run{}
	for _, r := range runs {
		if _, ok := by[r.Variant]; !ok {
			order = append(order, r.Variant)
		}
		by[r.Variant] = append(by[r.Variant], r)
	}
	rows := make([]Row, 0, len(order))
	for _, name := range order {
		rs := by[name]
		var ap, ap50, ap75, apm, apl, mp, pa, lat, pck, swap, inv []float64
		for _, r := range rs {
			if r.Result.Pose3D == nil {
				pck, swap, inv = append(pck, r.PCK), append(swap, r.Swap), append(inv, r.Inversion)
			}
			v := r.Result.Val
			ap, ap50, ap75, apm, apl = append(ap, v.AP), append(ap50, v.AP50), append(ap75, v.AP75), append(apm, v.APm), append(apl, v.APl)
			if r.Result.Pose3D != nil {
				mp, pa = append(mp, r.Result.Pose3D.MPJPE), append(pa, r.Result.Pose3D.PAMPJPE)
			}
			lat = append(lat, r.Latency)
		}
		row := Row{Variant: name, Seeds: len(rs), AP: meanStd(ap), AP50: meanStd(ap50), AP75: meanStd(ap75), APm: meanStd(apm), APl: meanStd(apl),
			Params: rs[0].Result.Params, FLOPs: rs[0].Result.FLOPs, Latency: median(lat)}
		row.Stats = []Stat{row.AP, row.AP50, row.AP75, row.APm, row.APl}
		if len(pck) > 0 {
			k, sw, in := meanStd(pck), meanStd(swap), meanStd(inv)
			row.PCK, row.Swap, row.Inversion = &k, &sw, &in
		}
		if len(mp) > 0 {
			m, p := meanStd(mp), meanStd(pa)
			row.MPJPE, row.PAMPJPE = &m, &p
		}
		rows = append(rows, row)
	}
	return rows
}

// TableHeader names the columns of TableRows.
var TableHeader = []string{"model", "seeds", "AP", "AP50", "AP75", "APm", "APl", "PCK@0.1", "L/R swap", "L/R inversion", "MPJPE (mm)", "PA-MPJPE (mm)", "params", "MFLOPs", "latency (ms)"}

// TableRows returns the experiment's table as text cells: students by variant (named
// studentPrefix + variant), then the teachers and the pretrained student.
func TableRows(o *Outcome, studentPrefix string) [][]string {
	var rows [][]string
	line := func(name string, seeds int, st []Stat, pck, swap, inv, mp, pa *Stat, params, flops int64, lat float64) {
		m, p, k, sw, in := "—", "—", "—", "—", "—"
		if mp != nil {
			m, p = mp.Cell(seeds, 1), pa.Cell(seeds, 1)
		}
		if pck != nil {
			k = pck.Cell(seeds, 3)
		}
		if swap != nil && swap.Mean >= 0 {
			sw = swap.Cell(seeds, 3)
		}
		if inv != nil && inv.Mean >= 0 {
			in = inv.Cell(seeds, 3)
		}
		row := []string{name, fmt.Sprint(seeds)}
		for _, x := range st {
			row = append(row, x.Cell(seeds, 3))
		}
		rows = append(rows, append(row, k, sw, in, m, p, fmt.Sprint(params), fmt.Sprintf("%.1f", float64(flops)/1e6), fmt.Sprintf("%.2f", lat)))
	}
	for _, r := range o.Rows {
		line(studentPrefix+r.Variant, r.Seeds, r.Stats, r.PCK, r.Swap, r.Inversion, r.MPJPE, r.PAMPJPE, r.Params, r.FLOPs, r.Latency)
	}
	for _, t := range o.Teachers {
		v := t.Result.Val
		var mp, pa *Stat
		if t.Result.Pose3D != nil {
			mp, pa = &Stat{Mean: t.Result.Pose3D.MPJPE}, &Stat{Mean: t.Result.Pose3D.PAMPJPE}
		}
		pck, swap, inv := &Stat{Mean: t.PCK}, &Stat{Mean: t.Swap}, &Stat{Mean: t.Inversion}
		line(teacherLabel(t.Variant), 1, []Stat{{Mean: v.AP}, {Mean: v.AP50}, {Mean: v.AP75}, {Mean: v.APm}, {Mean: v.APl}}, pck, swap, inv, mp, pa, t.Result.Params, t.Result.FLOPs, t.Latency)
	}
	return rows
}

// PerJointTable returns the per-joint PCK@0.1 of the teachers and of the first seed of every 2D
// variant: one row per COCO-17 joint, one column per model ("—" where a joint is never labelled).
func PerJointTable(o *Outcome, studentPrefix string) report.Table {
	names := skeleton.COCO17().Joints
	return perRowTable(o, studentPrefix, "joint", names, func(r Run) []float64 { return r.PerJoint },
		"PCK@0.1 per joint on the held-out split (first seed of each variant): limbs that the models miss, and sides they confuse, show here first")
}

// PairSwapTable returns the left/right swap rate of each limb pair (shoulder … ankle) for the
// teachers and the first seed of every 2D variant: which limbs a model confuses, and whether it
// averages both sides of one pair (a rate near 0.5).
func PairSwapTable(o *Outcome, studentPrefix string) report.Table {
	names := eval.LimbPairNames(skeleton.COCO17())
	return perRowTable(o, studentPrefix, "pair", names, func(r Run) []float64 { return r.PairSwap },
		"L/R swap rate per limb pair on the held-out split (first seed of each variant): a joint predicted nearer the other side's joint of its pair; 0.5 is a coin toss")
}

// perRowTable is a table with one row per name and one column per model (the teachers, then the
// first seed of each variant) whose value(run) has one entry per name; −1 reads "—".
func perRowTable(o *Outcome, studentPrefix, first string, names []string, value func(Run) []float64, caption string) report.Table {
	var cols []Run
	header := []string{first}
	for _, t := range o.Teachers {
		if len(value(t)) == len(names) {
			cols = append(cols, t)
			header = append(header, teacherLabel(t.Variant))
		}
	}
	seen := map[string]bool{}
	for _, r := range o.Runs {
		if !seen[r.Variant] && len(value(r)) == len(names) {
			seen[r.Variant] = true
			cols = append(cols, r)
			header = append(header, studentPrefix+r.Variant)
		}
	}
	t := report.Table{Caption: caption, Header: header}
	for j, name := range names {
		row := []string{name}
		for _, c := range cols {
			cell := "—"
			if v := value(c)[j]; v >= 0 {
				cell = fmt.Sprintf("%.3f", v)
			}
			row = append(row, cell)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// FormatTable returns the experiment's markdown table (TableRows).
func FormatTable(o *Outcome) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(TableHeader, " | ") + " |\n")
	b.WriteString(strings.Repeat("|---", len(TableHeader)) + "|\n")
	for _, r := range TableRows(o, "") {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

// WriteTable writes FormatTable to path.
func WriteTable(path string, o *Outcome) error {
	return atomicfile.WriteBytes(path, []byte(FormatTable(o)))
}

// PlotAblation draws the mean PCK@0.1 of every 2D variant with ±1 std error bars and the
// teachers' PCK@0.1 as horizontal reference lines, as a PNG (COCO AP is in the table; at the
// lengths a CPU affords it is near zero and would show nothing).
func PlotAblation(path string, o *Outcome) error {
	p := plot.New()
	p.Title.Text = o.Name + ": PCK@0.1 on held-out synthetic people (mean ± std over seeds)"
	p.Y.Label.Text = "PCK@0.1"
	var vals plotter.Values
	var errs plotter.YErrors
	var names []string
	for _, r := range o.Rows {
		if r.PCK == nil {
			continue
		}
		vals = append(vals, r.PCK.Mean)
		errs = append(errs, struct{ Low, High float64 }{r.PCK.Std, r.PCK.Std})
		names = append(names, r.Variant)
	}
	if len(vals) > 0 {
		bars, err := plotter.NewBarChart(vals, vg.Points(28))
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		bars.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
		p.Add(bars)
		pts := make(plotter.XYs, len(vals))
		for i, v := range vals {
			pts[i] = plotter.XY{X: float64(i), Y: v}
		}
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{pts, errs})
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		p.Add(eb)
		p.NominalX(names...)
	}
	for i, t := range o.Teachers {
		if t.Result.Pose3D != nil {
			continue
		}
		x0, x1 := -0.5, math.Max(0.5, float64(len(vals))-0.5)
		l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: t.PCK}, {X: x1, Y: t.PCK}})
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		l.Color = []color.RGBA{{R: 214, G: 39, B: 40, A: 255}, {R: 44, G: 160, B: 44, A: 255}, {R: 148, G: 103, B: 189, A: 255}}[i%3]
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
		p.Legend.Add(teacherLabel(t.Variant), l)
	}
	top := 0.05
	for _, r := range o.Rows {
		if r.PCK != nil {
			top = math.Max(top, r.PCK.Mean+r.PCK.Std)
		}
	}
	for _, t := range o.Teachers {
		top = math.Max(top, t.PCK)
	}
	p.Y.Min, p.Y.Max = 0, math.Min(1, 1.15*top)
	p.Legend.Top = true
	img := vgimg.New(9*vg.Inch, 4.5*vg.Inch)
	p.Draw(draw.New(img))
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}

// teacherLabel names a model of Outcome.Teachers in tables and plots.
func teacherLabel(variant string) string {
	if variant == distill.PretrainName {
		return "pretrained student (every variant's start)"
	}
	if strings.HasPrefix(variant, "teacher") {
		return variant // "teacher3d", not "teacher teacher3d"
	}
	return "teacher " + variant
}
