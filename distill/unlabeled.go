package distill

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/gomlx/compute"
	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// UnlabeledOptions configure DistillUnlabeled: ODKD with two BlazePose landmark models as
// teachers on a pseudo-labelled dataset (PseudoLabeler), no human labels anywhere.
type UnlabeledOptions struct {
	// Config is the student's training config (network, crop size, steps, batch, seed).
	Config train.Config
	// DataDir holds the pseudo-labelled train.json and val.json; OutDir receives the run.
	DataDir, OutDir string
	// PrimaryModel and SeniorModel are pose_landmark_*.tflite paths (e.g. full and heavy).
	PrimaryModel, SeniorModel string
	// PrimarySteps is the step the senior takes over (0: half the run).
	PrimarySteps int
	// Alpha is the pseudo-GT share of the heatmap loss; the teachers share 1 − Alpha.
	Alpha float64
	// Binarize, when set, replaces the teachers' heatmaps by their ODKD binarization.
	Binarize *Binarization
	// Mask adds a mask head that learns the senior's segmentation (weights MaskWeight and
	// RestrictWeight, see MaskBCE and MaskRestriction).
	Mask                       bool
	MaskWeight, RestrictWeight float64
	// LatencyRuns is how many batch-1 inferences time the student and the senior (0: 20).
	LatencyRuns int
	// Resume continues an interrupted run in OutDir (same options).
	Resume bool
	// Overwrite starts afresh in an OutDir that holds a run.
	Overwrite bool
	Backend   compute.Backend
	Progress  io.Writer
}

// UnlabeledResult is the outcome of DistillUnlabeled, also written to OutDir/unlabeled.json.
type UnlabeledResult struct {
	Train Result `json:"train"`
	// Agreement is Train.Val.AP: the student's OKS AP on the held-out frames with the senior
	// teacher's people as ground truth.
	Agreement float64 `json:"agreement_ap"`
	// StudentMS and SeniorMS, PrimaryMS are median batch-1 wall times, measured in the same run:
	// the student on its crop, the BlazePose landmark models on their 256×256 crop.
	StudentMS float64 `json:"student_ms"`
	PrimaryMS float64 `json:"primary_ms"`
	SeniorMS  float64 `json:"senior_ms"`
}

// DistillUnlabeled trains the student on the pseudo-labelled crops: the primary BlazePose teacher
// teaches the first PrimarySteps steps, the senior the rest (ODKD's order), each only running in
// its own stage, then measures agreement on val, draws it (AgreementFile) and times the student
// and the teachers.
func DistillUnlabeled(ctx context.Context, o UnlabeledOptions) (UnlabeledResult, error) {
	var res UnlabeledResult
	cfg := o.Config
	if o.Backend == nil {
		return res, fmt.Errorf("distill unlabeled: no backend")
	}
	sc, err := SampleConfig(cfg, true, false, false)
	if err != nil {
		return res, err
	}
	net, err := cfg.Net()
	if err != nil {
		return res, err
	}
	if o.Mask {
		if net, err = WithMaskHead(net); err != nil {
			return res, err
		}
	}
	ps := o.PrimarySteps
	if ps == 0 {
		ps = cfg.Steps / 2
	}
	stages := Stages{Order: Ordered, PrimarySteps: ps}
	if err := stages.Validate(); err != nil {
		return res, err
	}
	k := sc.Joints.NumJoints()
	var bts [2]*BlazePoseTeacher
	var teachers []Attached
	for i, t := range []struct {
		name, path string
		gate       func(int) float64
	}{{PrimaryName, o.PrimaryModel, stages.Primary()}, {SeniorName, o.SeniorModel, stages.Senior()}} {
		bt, err := NewBlazePoseTeacher(o.Backend, t.path, sc)
		if err != nil {
			return res, fmt.Errorf("teacher %s (%s): %w", t.name, t.path, err)
		}
		bts[i] = bt
		teachers = append(teachers, Attached{Name: t.name, Teacher: &stagedTeacher{Teacher: bt, active: t.gate, joints: k}, Binarize: o.Binarize})
	}
	suffix := SuffixHeatmaps
	if o.Binarize != nil {
		suffix = SuffixBinary
	}
	a := train.Constant(o.Alpha)
	share := train.Constant(1 - o.Alpha)
	terms := []train.Term{
		train.HeatmapMSE("heatmap_gt", a),
		train.TeacherHeatmapMSE("heatmap_primary", PrimaryName+suffix, Gated(share, stages.Primary())),
		train.TeacherHeatmapMSE("heatmap_senior", SeniorName+suffix, Gated(share, stages.Senior())),
	}
	if o.Mask {
		terms = append(terms,
			MaskBCE("mask_senior", SeniorName+SuffixMask, Gated(train.Constant(o.MaskWeight), stages.Senior())),
			MaskRestriction("mask_restrict", SeniorName+SuffixMaskDilated, Gated(train.Constant(o.RestrictWeight), stages.Senior())))
	}
	tr, err := Train(ctx, RunOptions{Config: cfg, Net: net, DataDir: o.DataDir, OutDir: o.OutDir, Terms: terms, Teachers: teachers, Resume: o.Resume, Overwrite: o.Overwrite, Backend: o.Backend, Progress: o.Progress})
	if err != nil {
		return res, err
	}
	res.Train, res.Agreement = tr, tr.Val.AP
	if res.StudentMS, err = latency(o.Backend, o.OutDir, net, cfg, o.LatencyRuns); err != nil {
		return res, fmt.Errorf("student latency: %w", err)
	}
	if err := agreementFigure(ctx, o, cfg); err != nil {
		return res, err
	}
	if res.PrimaryMS, err = landmarkLatency(ctx, bts[0].lm, o.LatencyRuns); err != nil {
		return res, fmt.Errorf("primary latency: %w", err)
	}
	if res.SeniorMS, err = landmarkLatency(ctx, bts[1].lm, o.LatencyRuns); err != nil {
		return res, fmt.Errorf("senior latency: %w", err)
	}
	return res, writeJSON(filepath.Join(o.OutDir, "unlabeled.json"), res)
}

// AgreementFile is the figure DistillUnlabeled writes into the run directory (AgreementFigure of
// the first held-out images).
const AgreementFile = "agreement.png"

// agreementFigure draws the senior's pseudo labels beside the trained student's predictions on
// the first 6 held-out images.
func agreementFigure(ctx context.Context, o UnlabeledOptions, cfg train.Config) error {
	student, err := LoadTeacher(o.OutDir, o.Backend)
	if err != nil {
		return err
	}
	defer student.Close()
	sc, err := SampleConfig(cfg, false, false, false)
	if err != nil {
		return err
	}
	val, err := train.ReadSplit(ctx, o.DataDir, "val.json")
	if err != nil {
		return err
	}
	return AgreementFigure(ctx, filepath.Join(o.OutDir, AgreementFile), sc, val, 6, student)
}

// landmarkLatency is the median wall time in milliseconds of runs (0: 20) batch-1 inferences of
// a BlazePose landmark model on a grey crop, after one warm-up call.
func landmarkLatency(ctx context.Context, lm *blazepose.Landmarker, runs int) (float64, error) {
	if runs <= 0 {
		runs = 20
	}
	crop := make([]float32, blazepose.InputSize*blazepose.InputSize*3)
	for i := range crop {
		crop[i] = 0.5
	}
	if _, err := lm.Run(ctx, crop); err != nil {
		return 0, err
	}
	ts := make([]float64, runs)
	for i := range ts {
		t := time.Now()
		if _, err := lm.Run(ctx, crop); err != nil {
			return 0, err
		}
		ts[i] = float64(time.Since(t).Microseconds()) / 1000
	}
	return median(ts), nil
}

// stagedTeacher runs its teacher only at the steps where active is non-zero and returns empty
// outputs elsewhere, where its loss terms weigh nothing: ODKD's two stages then cost one teacher
// each. Hook sets the step before each call (atStep); without it, calls count the steps from 0.
type stagedTeacher struct {
	Teacher
	active func(int) float64
	joints int
	step   int
}

// atStep sets the step of the next Predict call.
func (t *stagedTeacher) atStep(step int) { t.step = step }

// Predict runs the teacher in its stage, and returns zero heatmaps and mask outside it.
func (t *stagedTeacher) Predict(ctx context.Context, images topdown.Tensor, heatH, heatW int) (TeacherOutput, error) {
	step := t.step
	t.step++
	if t.active(step) != 0 {
		return t.Teacher.Predict(ctx, images, heatH, heatW)
	}
	if len(images.Shape) != 4 {
		return TeacherOutput{}, fmt.Errorf("staged teacher: images shape %v", images.Shape)
	}
	n := images.Shape[0]
	return TeacherOutput{Heatmaps: make([]float32, n*heatH*heatW*t.joints), Mask: make([]float32, n*heatH*heatW)}, nil
}
