package experiment

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/posedistill/posedistill/distill"

	"gopkg.in/yaml.v3"

	"github.com/posedistill/posedistill/train"
)

// DataConfig is the synthetic dataset an experiment renders (and caches by its hash).
type DataConfig struct {
	Images         int     `yaml:"images" json:"images"`
	ValFraction    float64 `yaml:"val_fraction" json:"val_fraction"`
	Width          int     `yaml:"width" json:"width"`
	Height         int     `yaml:"height" json:"height"`
	MinPeople      int     `yaml:"min_people" json:"min_people"`
	MaxPeople      int     `yaml:"max_people" json:"max_people"`
	HeavyOcclusion bool    `yaml:"heavy_occlusion" json:"heavy_occlusion"`
	// LightOcclusion keeps the clutter behind the people (synth's --occlusion light).
	LightOcclusion bool   `yaml:"light_occlusion" json:"light_occlusion,omitempty"`
	Seed           uint64 `yaml:"seed" json:"seed"`
	// MinHeight and MaxHeight bound the people's full-body height in image heights (synth's
	// --person-height; zero: synth's default 0.14–2.5).
	MinHeight float64 `yaml:"min_height" json:"min_height,omitempty"`
	MaxHeight float64 `yaml:"max_height" json:"max_height,omitempty"`
}

// Experiment is one ablation file (configs/odkd_ablation.yaml): the data, the student and
// teacher configurations (train.Config files, relative to the experiment file), the seeds and
// the variants to compare, and the distillation hyper-parameters.
type Experiment struct {
	Name string     `yaml:"name" json:"name"`
	Data DataConfig `yaml:"data" json:"data"`
	// Student, Primary and Senior are train.Config files. The senior teacher gets a mask head and
	// learns the GT masks; every student gets the light mask head (unused by variants without
	// segmentation knowledge) so that all variants have the same architecture.
	Student string `yaml:"student" json:"student"`
	Primary string `yaml:"primary" json:"primary"`
	Senior  string `yaml:"senior" json:"senior"`
	// Teacher3D, when set, is a train.Config of a 3D teacher (location-map head) and Student3D
	// that of a 3D student; both are trained on the synthetic 3D labels and the students compared
	// by MPJPE with and without the teacher.
	Teacher3D string `yaml:"teacher_3d" json:"teacher_3d"`
	Student3D string `yaml:"student_3d" json:"student_3d"`
	// Teacher3DRun, instead of Teacher3D, is a trained 3D teacher run (the zoo's grafted
	// MoVNect), evaluated on the experiment's val split (2D and 3D) and distilled from.
	Teacher3DRun string `yaml:"teacher_3d_run" json:"teacher_3d_run,omitempty"`
	// PrimaryRun, SeniorRun and PretrainRun, when set, are trained run directories (models of
	// the zoo, trained on other data) used as the primary teacher, the senior teacher and the
	// pretrained student instead of training them from Primary, Senior and PretrainSteps; they
	// are evaluated on the experiment's val split. The senior's mask head, if it has one, teaches
	// segmentation. The student configuration takes the pretrained student's network, crop size
	// and codec, so that its checkpoint fits.
	PrimaryRun  string `yaml:"primary_run" json:"primary_run,omitempty"`
	SeniorRun   string `yaml:"senior_run" json:"senior_run,omitempty"`
	PretrainRun string `yaml:"pretrain_run" json:"pretrain_run,omitempty"`
	// Seeds of the student runs (each variant runs once per seed).
	Seeds []uint64 `yaml:"seeds" json:"seeds"`
	// Variants to run, by name (see VariantNames).
	Variants []string `yaml:"variants" json:"variants"`
	// Alpha is the GT share of the heatmap loss (MoVNect's α).
	Alpha float64 `yaml:"alpha" json:"alpha"`
	// Binarize is the ODKD binarization threshold τ (relative to a channel's peak).
	Binarize float64 `yaml:"binarize" json:"binarize"`
	// PretrainSteps, when positive, trains the student on the GT alone for that many steps once
	// (cached like a teacher), and every variant then starts from those weights: the variants
	// compare ways of continuing the training of a student that has learnt to see people, which
	// a 2-core CPU can afford, instead of training from scratch.
	PretrainSteps int `yaml:"pretrain_steps" json:"pretrain_steps"`
	// PrimarySteps is the step at which the orderly schedule switches to the senior teacher.
	PrimarySteps int `yaml:"primary_steps" json:"primary_steps"`
	// MaskWeight and RestrictWeight weight the segmentation terms.
	MaskWeight     float64 `yaml:"mask_weight" json:"mask_weight"`
	RestrictWeight float64 `yaml:"restrict_weight" json:"restrict_weight"`
	// LatencyRuns is the number of timed batch-1 inferences per model (0 means 20).
	LatencyRuns int `yaml:"latency_runs" json:"latency_runs"`

	dir     string
	student train.Config
	primary train.Config
	senior  train.Config
	t3d     *train.Config
	s3d     *train.Config
}

// LoadExperiment reads an experiment file and the configurations it names.
func LoadExperiment(path string) (*Experiment, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", path, err)
	}
	e := &Experiment{Alpha: 0.5, Binarize: 0.5, MaskWeight: 0.1, RestrictWeight: 1}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(e); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("experiment %s: %w", path, err)
	}
	e.dir = filepath.Dir(path)
	if err := e.load(); err != nil {
		return nil, fmt.Errorf("experiment %s: %w", path, err)
	}
	return e, nil
}

// resolve returns p relative to the experiment file's directory unless absolute.
func (e *Experiment) resolve(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(e.dir, p)
}

// load validates the experiment and reads its train configurations.
func (e *Experiment) load() error {
	d := e.Data
	switch {
	case d.Images < 2 || !(d.ValFraction > 0 && d.ValFraction < 1):
		return fmt.Errorf("data: %d images, val fraction %v", d.Images, d.ValFraction)
	case len(e.Seeds) == 0:
		return fmt.Errorf("no seeds")
	case len(e.Variants) == 0 && e.Student3D == "":
		return fmt.Errorf("no variants and no 3D student")
	case !(e.Alpha >= 0 && e.Alpha <= 1):
		return fmt.Errorf("alpha %v outside [0, 1]", e.Alpha)
	case e.MaskWeight < 0 || e.RestrictWeight < 0:
		return fmt.Errorf("negative mask weights")
	}
	if err := (distill.Binarization{Threshold: e.Binarize}).Validate(); err != nil {
		return err
	}
	known := map[string]bool{}
	for _, v := range distill.VariantNames() {
		known[v] = true
	}
	for _, v := range e.Variants {
		if !known[v] {
			return fmt.Errorf("unknown variant %q (known: %v)", v, distill.VariantNames())
		}
	}
	var err error
	if len(e.Variants) == 0 {
		return e.load3D()
	}
	for _, c := range []struct {
		path string
		dst  *train.Config
		run  string
	}{{e.Student, &e.student, ""}, {e.Primary, &e.primary, e.PrimaryRun}, {e.Senior, &e.senior, e.SeniorRun}} {
		if c.path == "" && c.run != "" {
			continue // a trained run: its own configuration
		}
		if c.path == "" {
			return fmt.Errorf("student, primary and senior configurations (or primary_run, senior_run) are required")
		}
		if *c.dst, err = train.LoadConfig(e.resolve(c.path)); err != nil {
			return err
		}
	}
	if e.PretrainRun != "" {
		// The variants continue the pretrained student: its network, crop and codec.
		if e.student, err = studentOf(e.student, e.resolve(e.PretrainRun)); err != nil {
			return err
		}
	}
	if e.PrimarySteps <= 0 || e.PrimarySteps >= e.student.Steps {
		return fmt.Errorf("primary_steps %d must lie inside the student's %d steps", e.PrimarySteps, e.student.Steps)
	}
	return e.load3D()
}

// load3D reads the optional 3D teacher and student configurations.
func (e *Experiment) load3D() error {
	if e.Teacher3D != "" && e.Teacher3DRun != "" {
		return fmt.Errorf("teacher_3d (a configuration to train) and teacher_3d_run (a trained run): give one")
	}
	if (e.Teacher3D == "" && e.Teacher3DRun == "") != (e.Student3D == "") {
		return fmt.Errorf("student_3d needs a 3D teacher (teacher_3d or teacher_3d_run), and a 3D teacher a student_3d")
	}
	if e.Student3D == "" {
		return nil
	}
	s, err := train.LoadConfig(e.resolve(e.Student3D))
	if err != nil {
		return err
	}
	e.s3d = &s
	if e.Teacher3D != "" {
		t, err := train.LoadConfig(e.resolve(e.Teacher3D))
		if err != nil {
			return err
		}
		e.t3d = &t
	}
	return nil
}

// StudentConfig returns the student's train configuration.
func (e *Experiment) StudentConfig() train.Config { return e.student }

// Scale shortens every run to a fraction of its steps (a smoke run), keeping at least 2 steps
// and the orderly switch inside the student's run.
func (e *Experiment) Scale(f float64) {
	sc := func(c *train.Config) {
		c.Steps = max(2, int(float64(c.Steps)*f))
		c.WarmupSteps = min(c.WarmupSteps, c.Steps/2)
	}
	old := max(1, e.student.Steps)
	for _, c := range []*train.Config{&e.student, &e.primary, &e.senior, e.t3d, e.s3d} {
		if c != nil {
			sc(c)
		}
	}
	if len(e.Variants) > 0 {
		e.PrimarySteps = max(1, min(e.student.Steps-1, e.PrimarySteps*e.student.Steps/old))
	}
}
