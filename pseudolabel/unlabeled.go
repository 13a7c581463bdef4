package pseudolabel

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/distill"
	"github.com/posedistill/posedistill/figures"

	"github.com/gomlx/compute"

	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/eval"
	"github.com/posedistill/posedistill/train"
)

// UnlabeledOptions configure DistillUnlabeled: ODKD with two BlazePose landmark models as
// teachers on a pseudo-labelled dataset (PseudoLabeler), no human labels anywhere.
type UnlabeledOptions struct {
	// Config is the student's training config (network, crop size, steps, batch, seed).
	Config train.Config
	// DataDir holds the pseudo-labelled train.json and val.json; OutDir receives the run.
	DataDir, OutDir string
	// Recipe names the two BlazePose teachers (TeacherRef.Model, primary then senior) and the
	// ODKD terms; a zero Switch means half the run.
	Recipe distill.Recipe
	// Primary and Senior are the BlazePose models of the ODKD pair (blazepose-lite, -full,
	// -heavy): the senior labels the inputs and is the reference of the agreement and the speed;
	// empty ones are the recipe's first and last teachers. Recipe's teachers may be both, one of
	// them or none (the pseudo-GT-only variant).
	Primary, Senior string
	// Baseline, when set, is a BlazePose model (blazepose-lite) scored on the held-out people
	// as the student is (TeacherAgreement), its outputs cached in TeacherCache (or a cache
	// directory under OutDir).
	Baseline string
	// LatencyRuns is how many batch-1 inferences time the student and the senior (0: 20).
	LatencyRuns int
	// TeacherCache is the directory of the teachers' cached outputs (distill.RecordCache: each
	// teacher runs once per person of the training frames, on its own crop of the original
	// frame, and the records are warped to every augmented crop). Empty runs both teachers on
	// every batch instead (each on its own crop of the original frame).
	TeacherCache string
	// Init initialises the student from a checkpoint before step 0 (a grafted trunk from
	// `models graft`, or a model trained elsewhere; see train.Options.Init).
	Init string
	// Resume continues an interrupted run in OutDir (same options).
	Resume bool
	// Overwrite starts afresh in an OutDir that holds a run.
	Overwrite bool
	// Command, when set, is shown in the report (ReportFile) as the command that made the run.
	Command  string
	Backend  compute.Backend
	Progress io.Writer
}

// UnlabeledResult is the outcome of DistillUnlabeled, also written to OutDir/unlabeled.json.
type UnlabeledResult struct {
	Train distill.Result `json:"train"`
	// Agreement is Train.Val.AP: the student's OKS AP on the held-out frames with the senior
	// teacher's people as ground truth.
	Agreement float64 `json:"agreement_ap"`
	// StudentMS and SeniorMS, PrimaryMS are median batch-1 wall times, measured in the same run:
	// the student on its crop, the BlazePose landmark models on their 256×256 crop.
	StudentMS float64 `json:"student_ms"`
	// Baseline and BaselineAgreement are Options.Baseline and its agreement with the senior on
	// the held-out people; BaselineMS its batch-1 time.
	Baseline          string         `json:"baseline,omitempty"`
	BaselineAgreement eval.COCOStats `json:"baseline_agreement"`
	BaselineMS        float64        `json:"baseline_ms,omitempty"`
	PrimaryMS         float64        `json:"primary_ms"`
	SeniorMS          float64        `json:"senior_ms"`
}

// DistillUnlabeled trains the student on the pseudo-labelled crops: the primary BlazePose teacher
// teaches the first PrimarySteps steps, the senior the rest (ODKD's order), each looking at its
// own crop of the original frame (from the cache when TeacherCache is set, else live in its own
// stage only), then measures agreement on val, draws it (AgreementFile) and times the student
// and the teachers.
func DistillUnlabeled(ctx context.Context, o UnlabeledOptions) (UnlabeledResult, error) {
	var res UnlabeledResult
	cfg := o.Config
	if o.Backend == nil {
		return res, fmt.Errorf("distill unlabeled: no backend")
	}
	sc, err := distill.SampleConfig(cfg, true, false, false)
	if err != nil {
		return res, err
	}
	rec := o.Recipe
	if len(rec.Teachers) == 2 && rec.Switch == 0 && (rec.Order == "" || rec.Order == distill.Ordered) {
		rec.Switch = cfg.Steps / 2
	}
	primary, senior := o.primaryModel(), o.seniorModel()
	if senior == "" {
		return res, fmt.Errorf("distill unlabeled: no senior model")
	}
	// The primary and the senior BlazePose models are opened for the latencies; the recipe's
	// teachers (none, one or both of them, as the variant says) are opened by model.
	byModel := map[string]*distill.BlazePoseTeacher{}
	open := func(model string) (*distill.BlazePoseTeacher, error) {
		if t, ok := byModel[model]; ok || model == "" {
			return t, nil
		}
		t, err := distill.OpenTeacher(distill.TeacherRef{Name: model, Model: model}, o.Backend, sc)
		if err != nil {
			return nil, err
		}
		bt, ok := t.(*distill.BlazePoseTeacher)
		if !ok {
			return nil, fmt.Errorf("distill unlabeled: teacher %s is not a BlazePose model", model)
		}
		byModel[model] = bt
		return bt, nil
	}
	var bts [2]*distill.BlazePoseTeacher
	for i, m := range []string{primary, senior} {
		if bts[i], err = open(m); err != nil {
			return res, err
		}
	}
	opened := map[string]distill.Teacher{}
	for _, ref := range rec.Teachers {
		if ref.Model == "" {
			return res, fmt.Errorf("distill unlabeled: teacher %s is not an imported model", ref.Name)
		}
		bt, err := open(ref.Model)
		if err != nil {
			return res, err
		}
		opened[ref.Name] = bt
	}
	if cfg.Targets.Locations {
		if err := has3D(ctx, o.DataDir); err != nil {
			return res, err
		}
	}
	var records *distill.RecordCache
	if o.TeacherCache != "" {
		records = &distill.RecordCache{Dir: o.TeacherCache}
	}
	tr, err := distill.Train(ctx, distill.RunOptions{Config: cfg, Recipe: rec, DataDir: o.DataDir, OutDir: o.OutDir, Init: o.Init, Teachers: opened, StageTeachers: true,
		TeacherRecords: records, Resume: o.Resume, Overwrite: o.Overwrite, Backend: o.Backend, Progress: o.Progress})
	if err != nil {
		return res, err
	}
	res.Train, res.Agreement = tr, tr.Val.AP
	if res.StudentMS, err = distill.RunLatency(o.Backend, o.OutDir, o.LatencyRuns); err != nil {
		return res, fmt.Errorf("student latency: %w", err)
	}
	student, err := distill.LoadTeacher(o.OutDir, o.Backend)
	if err != nil {
		return res, err
	}
	defer student.Close()
	plain, err := distill.SampleConfig(cfg, false, false, false)
	if err != nil {
		return res, err
	}
	val, err := train.ReadSplit(ctx, o.DataDir, "val.json")
	if err != nil {
		return res, err
	}
	if err := figures.AgreementFigure(ctx, filepath.Join(o.OutDir, AgreementFile), plain, val, 6, student); err != nil {
		return res, err
	}
	if bts[0] != nil {
		if res.PrimaryMS, err = landmarkLatency(ctx, bts[0].Landmarker(), o.LatencyRuns); err != nil {
			return res, fmt.Errorf("primary latency: %w", err)
		}
	}
	if res.SeniorMS, err = landmarkLatency(ctx, bts[1].Landmarker(), o.LatencyRuns); err != nil {
		return res, fmt.Errorf("senior latency: %w", err)
	}
	var baseline []dataset.Result
	if o.Baseline != "" {
		bt, err := open(o.Baseline)
		if err != nil {
			return res, err
		}
		dir := o.TeacherCache
		if dir == "" {
			dir = filepath.Join(o.OutDir, "teacher-records")
		}
		res.Baseline = o.Baseline
		if baseline, err = TeacherResults(ctx, bt, val, sc, &distill.RecordCache{Dir: dir}); err != nil {
			return res, err
		}
		if res.BaselineAgreement, err = agreementOf(ctx, val, baseline, sc); err != nil {
			return res, err
		}
		if res.BaselineMS, err = landmarkLatency(ctx, bt.Landmarker(), o.LatencyRuns); err != nil {
			return res, fmt.Errorf("baseline latency: %w", err)
		}
	}
	if err := atomicfile.WriteJSON(filepath.Join(o.OutDir, "unlabeled.json"), res); err != nil {
		return res, err
	}
	var counts Counts
	if counts.TrainImages, counts.TrainPeople, counts.ValImages, counts.ValPeople, err = countLabels(ctx, o.DataDir); err != nil {
		return res, err
	}
	return res, writeReport(ctx, o, reportInputs{res: res, cfg: cfg, sc: plain, val: val, student: student, baseline: baseline, counts: counts})
}

// AgreementFile is the figure DistillUnlabeled writes into the run directory
// (figures.AgreementFigure of the first held-out images).
const AgreementFile = "agreement.png"

// landmarkLatency is the median wall time in milliseconds of runs (0: 20) batch-1 inferences of
// a BlazePose landmark model on a grey crop, after one warm-up call.
func landmarkLatency(ctx context.Context, lm *blazepose.Landmarker, runs int) (float64, error) {
	crop := make([]float32, blazepose.InputSize*blazepose.InputSize*3)
	for i := range crop {
		crop[i] = 0.5
	}
	return distill.MedianMS(runs, func() error {
		_, err := lm.Run(ctx, crop)
		return err
	})
}

// primaryModel returns Primary, else the recipe's first of two teachers.
func (o UnlabeledOptions) primaryModel() string {
	if o.Primary != "" || len(o.Recipe.Teachers) != 2 {
		return o.Primary
	}
	return o.Recipe.Teachers[0].Model
}

// seniorModel returns Senior, else the recipe's last teacher.
func (o UnlabeledOptions) seniorModel() string {
	if o.Senior != "" || len(o.Recipe.Teachers) == 0 {
		return o.Senior
	}
	return o.Recipe.Teachers[len(o.Recipe.Teachers)-1].Model
}

// has3D reports an error unless the held-out pseudo labels in dir carry 3D joints (labels
// written before they did have none).
func has3D(ctx context.Context, dir string) error {
	val, err := train.ReadSplit(ctx, dir, "val.json")
	if err != nil {
		return err
	}
	for _, in := range val.Instances {
		if len(in.Annotation.Joints3D) > 0 {
			return nil
		}
	}
	return fmt.Errorf("3D: the pseudo labels in %s have no 3D joints (labelled by an older posedistill): label into a new --data directory", dir)
}
