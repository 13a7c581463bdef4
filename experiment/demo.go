package experiment

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/figures"

	"github.com/gomlx/compute"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/report"
	"github.com/posedistill/posedistill/train"
)

// DemoOptions configure RunDemo.
type DemoOptions struct {
	// OutDir receives the runs and the report (index.html and its PNGs).
	OutDir string
	// CacheDir holds the dataset and teachers (see CacheDir).
	CacheDir string
	// ZooDir holds the pretrained models the demo starts from (DefaultZoo: "zoo", the
	// repository's folder).
	ZooDir string
	// Quick is the smoke run: a tiny dataset and a few dozen steps per model.
	Quick bool
	// Backend runs the graphs (nil: $GOMLX_BACKEND, then go).
	Backend compute.Backend
	// Progress receives the stage lines and progress bars.
	Progress io.Writer
}

// Zoo models the demo distils from and starts its students with (see zoo/README.md): trained
// here on another rendering of the same kind of synthetic people (seed 17), so the demo's data
// (seed 21) is held out for them.
const (
	ZooPrimary   = "teacher-movenet-lightning-128x96"
	ZooSenior    = "senior-movenet-lightning-128x96"
	ZooStudent   = "student-movnect-0.5-192x144"
	ZooTeacher3D = "teacher3d-movnect-1.0-grafted-128x96"
	DefaultZoo   = "zoo"
	zooMissing   = "the demo's pretrained models are missing from %s (%w): run the demo from the repository's root, or give --zoo DIR"
)

// demoConfig returns a train configuration for the demo's runs: 128×96 crops with the integral
// codec for the 2D students (whose network, crop and codec RunDemo then takes from the zoo's
// student, studentOf), 64×48 MSRA heatmaps for the 3D runs.
func demoConfig(name, arch string, width float64, head, steps int, lr float64, seed uint64, integral bool) train.Config {
	c := train.DefaultConfig()
	c.Name = name
	c.Model = train.ModelConfig{Arch: arch, Width: width, HeadChannels: head}
	c.InputW, c.InputH, c.Sigma = 48, 64, 1.5
	if integral {
		c.InputW, c.InputH, c.Sigma, c.Codec = 96, 128, 2, "integral"
	}
	c.Augment = train.AugmentConfig{FlipProb: 0.5, ScaleMin: 0.8, ScaleMax: 1.2, RotateProb: 0.4, RotateDeg: 30}
	c.LR, c.MinLR, c.WarmupSteps = lr, lr/100, min(50, steps/10)
	c.BatchSize, c.Steps, c.Seed, c.Workers = 16, steps, seed, 2
	c.CheckpointEvery, c.ValidateEvery, c.FlipTest = 0, 0, true
	return c
}

// DemoExperiment returns the demo's experiment: synthetic people (1–2 per image, 0.45–1 image
// heights, clutter behind them) rendered with another seed than the zoo's; the zoo's teachers
// (Google's MoveNet Lightning fine-tuned on synthetic people; the senior trained longer, with a
// mask head) and its thinned MoVNect-0.5-sized student, continued from the GT alone, from the primary teacher and by ODKD; the zoo's 3D
// teacher (MoVNect 1.0 grafted from the primary, with location maps) and small 3D students
// trained from scratch with and without it. zoo is the folder of the zoo models; quick shrinks
// everything to a smoke run.
func DemoExperiment(quick bool, zoo string) *Experiment {
	scale := 1.0
	e := &Experiment{
		Name: "posedistill-demo",
		Data: DataConfig{Images: 1500, ValFraction: 0.1, Width: 192, Height: 192, MinPeople: 1, MaxPeople: 2,
			LightOcclusion: true, MinHeight: 0.45, MaxHeight: 1, Seed: 21},
		PrimaryRun: filepath.Join(zoo, ZooPrimary), SeniorRun: filepath.Join(zoo, ZooSenior), PretrainRun: filepath.Join(zoo, ZooStudent),
		Teacher3DRun: filepath.Join(zoo, ZooTeacher3D),
		Seeds:        []uint64{1},
		Variants:     []string{"gt", "primary", "odkd"},
		// The student learns MSE heatmaps (~0.003 a pixel): a mask BCE of weight 0.1 would
		// outweigh them thirty to one (it dragged a senior from AP 0.47 to 0.32, zoo/README.md);
		// 0.005 does not. The heatmap restriction mean(H²·(1 − D)) has the heatmaps' scale.
		Alpha: 0.5, Binarize: 0.5, MaskWeight: 0.005, RestrictWeight: 1, LatencyRuns: 20,
	}
	steps := map[string]int{"student": 300, "s3d": 250}
	if quick {
		scale = 0.02
		e.Data.Images, e.Data.Width, e.Data.Height = 24, 96, 96
		e.Variants = []string{"gt", "odkd"}
		e.LatencyRuns = 3
	}
	s := func(k string) int { return max(4, int(float64(steps[k])*scale)) }
	// The network, crop and codec are the zoo student's (studentOf, in RunDemo).
	// It ended its own schedule at lr 1e-5: continued at 5e-4 it lost 3–7 AP points in 300 steps,
	// at 5e-5 one to two (README).
	e.student = demoConfig("demo-student", "movnect", 0.5, 64, s("student"), 5e-5, 1, true)
	s3 := demoConfig("demo-student3d", "movnect", 0.25, 16, s("s3d"), 3e-3, 1, false)
	e.s3d = &s3
	e.PrimarySteps = e.student.Steps / 2
	return e
}

// studentOf returns the student configuration cfg with the network, crop size and codec of the
// pretrained student run it continues (the zoo's student), so that its checkpoint fits.
func studentOf(cfg train.Config, runDir string) (train.Config, error) {
	run, err := train.ReadRunConfig(runDir)
	if err != nil {
		return cfg, fmt.Errorf("pretrained student: %w", err)
	}
	cfg.Model, cfg.InputW, cfg.InputH, cfg.Codec, cfg.Sigma = run.Model, run.InputW, run.InputH, run.Codec, run.Sigma
	return cfg, cfg.Validate()
}

// checkZoo reports a clear error when a zoo model the demo needs is missing.
func checkZoo(e *Experiment) error {
	for _, dir := range []string{e.PrimaryRun, e.SeniorRun, e.PretrainRun, e.Teacher3DRun} {
		if _, err := os.Stat(train.RunCheckpoint(dir)); err != nil {
			return fmt.Errorf(zooMissing, dir, err)
		}
	}
	return nil
}

// RunDemo runs the demo experiment and writes its HTML report; it returns the report's path.
func RunDemo(ctx context.Context, opts DemoOptions) (string, error) {
	t0 := time.Now()
	zoo := opts.ZooDir
	if zoo == "" {
		zoo = DefaultZoo
	}
	e := DemoExperiment(opts.Quick, zoo)
	if err := checkZoo(e); err != nil {
		return "", err
	}
	var err error
	if e.student, err = studentOf(e.student, e.PretrainRun); err != nil {
		return "", err
	}
	be := opts.Backend
	if be == nil {
		if be, err = backend.New(""); err != nil {
			return "", err
		}
		defer be.Finalize()
	}
	o, err := RunExperiment(ctx, e, RunnerOptions{OutDir: opts.OutDir, CacheDir: opts.CacheDir, Backend: be, Progress: opts.Progress})
	if err != nil {
		return "", err
	}
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, "[report] figures and HTML — elapsed %s\n", time.Since(t0).Round(time.Second))
	}
	page, err := demoPage(ctx, e, o, be, opts.OutDir)
	if err != nil {
		return "", err
	}
	page.Generated = time.Now().UTC()
	path := filepath.Join(opts.OutDir, "index.html")
	if err := report.Write(path, page); err != nil {
		return "", err
	}
	return path, nil
}

// demoPage builds the report: the table, the ablation plot, the loss curves, teacher vs student
// heatmaps and prediction overlays on held-out images.
func demoPage(ctx context.Context, e *Experiment, o *Outcome, be compute.Backend, dir string) (*report.Page, error) {
	p := &report.Page{
		Title:    "posedistill demo: knowledge distillation on synthetic people",
		Subtitle: fmt.Sprintf("%d synthetic images (%d×%d, %d–%d people, heavy occlusion %v), students pretrained %d steps then continued %d, seeds %v; total %s on this machine", e.Data.Images, e.Data.Width, e.Data.Height, e.Data.MinPeople, e.Data.MaxPeople, e.Data.HeavyOcclusion, e.PretrainSteps, e.student.Steps, e.Seeds, time.Duration(o.Elapsed*float64(time.Second)).Round(time.Second)),
	}
	tbl := report.Table{Caption: "COCO keypoint AP and PCK@0.1 (joints within 10 % of the box's longer side) on the held-out split (mean ± std over seeds); L/R swap: limb joints predicted nearer the other side's joint; L/R inversion: wrong for their own joint (keypoint similarity < 0.5) but right for the other side's (Ronchi and Perona's inversion error); MPJPE on held-out 3D people; latency: median batch-1 inference, GoMLX go backend",
		Header: TableHeader, Rows: TableRows(o, "student ")}
	p.Sections = append(p.Sections, report.Section{
		Heading: "Results",
		Paragraphs: []string{
			"Teachers and the pretrained student come from the repository's zoo (zoo/README.md: the commands that trained them, on another rendering of the same kind of people, so this split is held out for them too): primary teacher Google's MoveNet Lightning imported and fine-tuned on synthetic people (heatmaps, DARK's unbiased targets in the last stage), senior teacher the same trained longer with its centre head trained as a mask head on the GT masks, student a MoVNect-0.5-sized network (0.16M parameters) thinned in three cuts from the zoo's grafted MoVNect 1.0, healed by distillation from the primary, then trained 30,000 steps on the GT (unbiased heatmaps, location maps) on 128×96 crops, 4,000 of them with the primary's heatmaps beside it, and 16,000 more on the GT on 192×144 crops of the same people, its crop now (finer heatmaps raised its AP from 0.38 to 0.51 on the zoo's held-out people), the last 4,000 with a loss term that charges a joint's heatmap for lighting up on its left/right counterpart (swap 0.101 without it, 0.091 with it); the 3D teacher's heatmaps were distilled from the primary in three of its stages, its last two trained on the GT alone; the teachers' crops are 128×96; heatmaps decoded with pair separation (a left/right pair peaking on one spot moves one joint to its own second peak). " +
				"Each variant continues the pretrained student for the same steps on this dataset's training split. gt: GT only (MSE to the GT heatmaps, DARK's unbiased targets); primary: α·GT + (1−α)·primary teacher's heatmaps (α = 0.5, MoVNect/FPD); odkd: GT term plus the binarized primary teacher for the first half of the run, then the binarized senior teacher with its mask (BCE) and the mask restriction.",
			"3d_gt / 3d_movnect: MoVNect 3D students (64×48 heatmaps, location maps, GT-heatmap-masked location loss, bone-length loss) without and with the zoo's 3D teacher (MoVNect 1.0, its trunk grafted from the primary, 128×96, location maps), the students trained from scratch here.",
		},
		Tables: []report.Table{tbl, PerJointTable(o, "student "), PairSwapTable(o, "student ")},
		Images: []report.Image{{Path: "ablation.png", Caption: "PCK@0.1 per 2D variant (bars: mean, whiskers: ±1 std over seeds; dashed: teachers and the pretrained student)"}},
	})
	curves := map[string]string{}
	var order []string
	for _, r := range o.Runs {
		if _, ok := curves[r.Variant]; !ok {
			curves[r.Variant] = r.Dir
			order = append(order, r.Variant)
		}
	}
	if err := figures.PlotLosses(filepath.Join(dir, "curves.png"), curves, order); err != nil {
		return nil, err
	}
	p.Sections = append(p.Sections, report.Section{Heading: "Training curves", Images: []report.Image{{Path: "curves.png", Caption: "training loss of the first seed of every variant (weighted sum of its terms, so the levels differ by construction)"}}})

	// Pictures: teachers and the first seed's students.
	var models []figures.Model
	defer func() {
		for _, m := range models {
			m.Teacher.Close()
		}
	}()
	for _, t := range o.Teachers {
		nt, err := distill.LoadTeacher(t.Dir, be)
		if err != nil {
			return nil, err
		}
		models = append(models, figures.Model{Name: teacherLabel(t.Variant), Teacher: nt})
	}
	for _, v := range order {
		if v == "3d_gt" || v == "3d_movnect" {
			continue
		}
		nt, err := distill.LoadTeacher(curves[v], be)
		if err != nil {
			return nil, err
		}
		models = append(models, figures.Model{Name: "student " + v, Teacher: nt})
	}
	sc, err := distill.SampleConfig(e.student, false, false, false)
	if err != nil {
		return nil, err
	}
	val, err := train.ReadSplit(ctx, o.DataDir, "val.json")
	if err != nil {
		return nil, err
	}
	names := "GT targets"
	for _, m := range models {
		names += ", " + m.Name
	}
	if err := figures.HeatmapFigure(ctx, filepath.Join(dir, "heatmaps.png"), sc, val.Instances, 6, models); err != nil {
		return nil, err
	}
	if err := figures.OverlayFigure(ctx, filepath.Join(dir, "overlays.png"), sc, val, 6, models); err != nil {
		return nil, err
	}
	cols := ""
	for i, m := range models {
		if i > 0 {
			cols += ", "
		}
		cols += m.Name
	}
	p.Sections = append(p.Sections,
		report.Section{Heading: "Teacher vs student heatmaps", Images: []report.Image{{Path: "heatmaps.png", Caption: "held-out crops; columns: " + names + " (maximum over joints, in red)"}}},
		report.Section{Heading: "Predictions on held-out images", Images: []report.Image{{Path: "overlays.png", Caption: "top-down predictions on the GT boxes, each model decoded by its own codec, every joint drawn whatever its score; rows: front, side and back views in turn; columns: " + cols}}},
		report.Section{Heading: "Losses", Paragraphs: []string{
			"Binarization: a teacher channel becomes 1 where it reaches τ = 0.5 of its peak (and the peak reaches 0.2), else 0.",
			"Mask knowledge: BCE between the student's mask logits and the senior teacher's mask probability (weight 0.005, against heatmap MSE terms of about 0.003), and the mask restriction mean(w·H²·(1 − D)), the student's heatmap energy outside D, the 3×3 dilation of the teacher's mask (weight 1): student mass off the person is penalised.",
			"3D: MoVNect's location-map loss ‖H_GT ⊙ (L − L*)‖² against GT (α) and teacher (1−α) maps, plus a bone-length loss; 3D joints read at the 2D heatmap maximum.",
		}},
	)
	return p, nil
}
