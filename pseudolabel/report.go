package pseudolabel

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/figures"
	"github.com/posedistill/posedistill/report"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// ReportFile is the HTML page DistillUnlabeled writes into the run directory, beside its
// pictures: the agreement with the senior and with BlazePose-lite, the speed table, the
// learning curve and the senior, BlazePose-lite and the student on the same held-out frames.
const ReportFile = "index.html"

// The pictures of the report, in the run directory.
const (
	stripFile  = "strip.png"
	curveFile  = "agreement_curve.png"
	curvesFile = "curves.png"
)

// stripFrames is how many held-out frames the report's frame strip shows.
const stripFrames = 6

// reportInputs are what writeReport draws from besides the run directory's files.
type reportInputs struct {
	res     UnlabeledResult
	cfg     train.Config
	sc      topdown.Config
	val     *train.Split
	student *distill.NetTeacher
	// baseline are the baseline model's results on val's instances, in order (nil: none).
	baseline []dataset.Result
	counts   Counts
}

// writeReport writes OutDir/ReportFile and its pictures.
func writeReport(ctx context.Context, o UnlabeledOptions, in reportInputs) error {
	res, cfg := in.res, in.cfg
	student, err := train.Predict(ctx, func(images topdown.Tensor) ([]float32, error) {
		out, err := in.student.Outputs(ctx, images, in.sc.Codec.HeatH, in.sc.Codec.HeatW)
		return out.Heatmaps, err
	}, in.sc, in.val.Instances, 16, false)
	if err != nil {
		return fmt.Errorf("report: student: %w", err)
	}
	if len(student) != len(in.val.Instances) || (in.baseline != nil && len(in.baseline) != len(in.val.Instances)) {
		return fmt.Errorf("report: %d student and %d baseline results for %d held-out people", len(student), len(in.baseline), len(in.val.Instances))
	}
	if err := stripFigure(filepath.Join(o.OutDir, stripFile), o, in, student); err != nil {
		return err
	}
	metrics := filepath.Join(o.OutDir, train.MetricsFile)
	if err := train.PlotCurves(metrics, filepath.Join(o.OutDir, curvesFile), cfg.Name); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var levels []figures.Level
	if res.Baseline != "" {
		levels = append(levels, figures.Level{Name: res.Baseline, Value: res.BaselineAgreement.AP})
	}
	levels = append(levels, figures.Level{Name: "target", Value: 0.6})
	if err := figures.AgreementCurves(filepath.Join(o.OutDir, curveFile), "AP", "agreement with "+o.seniorModel()+" on the held-out people (COCO OKS AP)",
		[]figures.Curve{{Name: cfg.Name, Metrics: metrics}}, levels); err != nil {
		return fmt.Errorf("report: %w", err)
	}

	speedup := func(ms float64) string {
		if ms <= 0 || res.SeniorMS <= 0 {
			return ""
		}
		return fmt.Sprintf("%.1f×", res.SeniorMS/ms)
	}
	f3 := func(v float64) string { return fmt.Sprintf("%.3f", v) }
	ms := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	agree := report.Table{
		Caption: "Agreement with " + o.seniorModel() + " on the held-out people (its people are the ground truth: COCO OKS AP), and batch-1 time measured in the same run (median; go backend)",
		Header:  []string{"model", "AP", "AP50", "AP75", "AR", "batch-1 ms", "faster than the senior"},
		Rows:    [][]string{{"student " + cfg.Name + " (" + describeNet(cfg) + ")", f3(res.Train.Val.AP), f3(res.Train.Val.AP50), f3(res.Train.Val.AP75), f3(res.Train.Val.AR), ms(res.StudentMS), speedup(res.StudentMS)}},
	}
	if res.Baseline != "" {
		b := res.BaselineAgreement
		agree.Rows = append(agree.Rows, []string{res.Baseline + " (Google's, on the same boxes)", f3(b.AP), f3(b.AP50), f3(b.AP75), f3(b.AR), ms(res.BaselineMS), speedup(res.BaselineMS)})
	}
	if p := o.primaryModel(); p != "" && res.PrimaryMS > 0 {
		agree.Rows = append(agree.Rows, []string{p + " (primary)", "", "", "", "", ms(res.PrimaryMS), speedup(res.PrimaryMS)})
	}
	agree.Rows = append(agree.Rows, []string{o.seniorModel() + " (senior: the pseudo ground truth)", "1", "1", "1", "1", ms(res.SeniorMS), "1×"})

	c := in.counts
	data := report.Table{
		Caption: "Pseudo-labelled data (" + o.seniorModel() + "'s people; held out: the last frames of each video, the last photos of each directory)",
		Header:  []string{"split", "images", "people"},
		Rows: [][]string{
			{"training", fmt.Sprint(c.TrainImages), fmt.Sprint(c.TrainPeople)},
			{"held out", fmt.Sprint(c.ValImages), fmt.Sprint(c.ValPeople)},
		},
	}
	verdict := fmt.Sprintf("The student agrees with %s at AP %.3f (AP50 %.3f) on %d held-out people and runs %s faster.",
		o.seniorModel(), res.Train.Val.AP, res.Train.Val.AP50, c.ValPeople, strings.TrimSuffix(speedup(res.StudentMS), "×")+"×")
	if res.Baseline != "" {
		than := "below"
		if res.Train.Val.AP > res.BaselineAgreement.AP {
			than = "above"
		}
		verdict += fmt.Sprintf(" That is %s %s (AP %.3f on the same boxes).", than, res.Baseline, res.BaselineAgreement.AP)
	}
	if p3 := res.Train.Pose3D; p3 != nil {
		verdict += fmt.Sprintf(" In 3D, its location maps are %.0f mm from %s's world landmarks per joint (MPJPE, root-relative; %.0f mm after Procrustes alignment).", p3.MPJPE, o.seniorModel(), p3.PAMPJPE)
	}
	page := &report.Page{
		Title:     "Label-free distillation: " + cfg.Name,
		Subtitle:  fmt.Sprintf("%s, %d steps of batch %d, %s of training; no human label anywhere", variantName(o.Recipe), res.Train.Steps, cfg.BatchSize, time.Duration(res.Train.Elapsed*float64(time.Second)).Round(time.Second)),
		Generated: time.Now().UTC(),
		Sections: []report.Section{
			{Heading: "Result", Paragraphs: []string{verdict}, Tables: []report.Table{agree, data}},
			{Heading: "Learning curve", Paragraphs: []string{"Agreement with the senior on the held-out people during training (validation every few steps when the run asked for it, else at the end only), and the training loss."},
				Images: []report.Image{{Path: curveFile, Caption: "held-out agreement AP against the training step; dashed: " + levelNames(levels)}, {Path: curvesFile, Caption: "training loss (left) and held-out AP and AR (right)"}}},
			{Heading: "The same held-out frames", Paragraphs: []string{"Rows, top to bottom: " + stripRowNames(res) + ". Each column is one held-out frame, cropped to the region of its people; every model is given the same boxes (the senior's). The teachers' joints are drawn where they call them visible, the student's all, whatever its confidence."},
				Images: []report.Image{{Path: stripFile, Caption: "frame strip: the senior, Google's small model and the student on the same held-out frames"}, {Path: AgreementFile, Caption: "whole held-out frames: the senior's people (left) and the student's (right)"}}},
		},
	}
	if o.Command != "" {
		page.Sections = append(page.Sections, report.Section{Heading: "Command", Pre: o.Command})
	}
	return report.Write(filepath.Join(o.OutDir, ReportFile), page)
}

// stripFigure draws the senior's people, the baseline's and the student's on stripFrames
// held-out images evenly spaced over the split (in its order: time, for a video).
func stripFigure(path string, o UnlabeledOptions, in reportInputs, student []dataset.Result) error {
	var ids []int64
	byImage := map[int64][]int{}
	for i, inst := range in.val.Instances {
		if _, ok := byImage[inst.Image.ID]; !ok {
			ids = append(ids, inst.Image.ID)
		}
		byImage[inst.Image.ID] = append(byImage[inst.Image.ID], i)
	}
	var pick []int64
	for k := range min(stripFrames, len(ids)) {
		id := ids[k*len(ids)/min(stripFrames, len(ids))]
		if !slices.Contains(pick, id) {
			pick = append(pick, id)
		}
	}
	frames := make([]figures.StripFrame, len(pick))
	senior := figures.StripRow{Name: o.seniorModel(), MinScore: 0.5}
	base := figures.StripRow{Name: in.res.Baseline, MinScore: 0.5}
	stud := figures.StripRow{Name: "student", MinScore: 0} // every joint, whatever its confidence
	for f, id := range pick {
		idx := byImage[id]
		first := in.val.Instances[idx[0]]
		frames[f] = figures.StripFrame{Path: first.ImagePath, Label: strings.TrimSuffix(filepath.Base(first.ImagePath), filepath.Ext(first.ImagePath))}
		var s, b, st [][]float64
		for _, i := range idx {
			inst := in.val.Instances[i]
			frames[f].Boxes = append(frames[f].Boxes, inst.Annotation.BBox)
			s = append(s, inst.Annotation.Keypoints)
			st = append(st, student[i].Keypoints)
			if in.baseline != nil {
				b = append(b, in.baseline[i].Keypoints)
			}
		}
		senior.People = append(senior.People, s)
		base.People = append(base.People, b)
		stud.People = append(stud.People, st)
	}
	rows := []figures.StripRow{senior}
	if in.baseline != nil {
		rows = append(rows, base)
	}
	rows = append(rows, stud)
	if err := figures.FrameStrip(path, in.sc.Joints, frames, rows, 200); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// stripRowNames names the frame strip's rows as stripFigure draws them.
func stripRowNames(res UnlabeledResult) string {
	if res.Baseline != "" {
		return "the senior (pseudo ground truth), " + res.Baseline + ", the student"
	}
	return "the senior (pseudo ground truth), the student"
}

// levelNames lists the dashed levels of the agreement curve.
func levelNames(levels []figures.Level) string {
	var s []string
	for _, l := range levels {
		s = append(s, l.Name)
	}
	return strings.Join(s, ", ")
}

// describeNet is a short description of the student's network and input.
func describeNet(cfg train.Config) string {
	arch := cfg.Model.Arch
	if cfg.Model.File != "" {
		arch = filepath.Base(filepath.Dir(cfg.Model.File))
	}
	if cfg.Model.Width > 0 {
		arch += fmt.Sprintf(" %.2g", cfg.Model.Width)
	}
	return fmt.Sprintf("%s, %d×%d, codec %s", arch, cfg.InputW, cfg.InputH, cfg.Codec)
}

// variantName says who taught, from the recipe.
func variantName(r distill.Recipe) string {
	switch len(r.Teachers) {
	case 0:
		return "pseudo ground truth only"
	case 1:
		return "taught by " + r.Teachers[0].Model + " and the pseudo ground truth"
	}
	var m []string
	for _, t := range r.Teachers {
		m = append(m, t.Model)
	}
	return "ODKD: " + strings.Join(m, " then ")
}
