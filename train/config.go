// Package train is posedistill's training loop on GoMLX: an experiment configuration (one YAML or
// JSON file per experiment), a loss made of named, weighted terms computed from a batch (the GT
// heatmap term now, teacher terms for distillation), learning-rate schedules, atomic checkpoints
// that resume a run bit for bit, a JSONL metrics log with plotted curves, and validation by COCO
// keypoint AP on the held-out split.
package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/posedistill/posedistill/codec"
	"gopkg.in/yaml.v3"
)

// Config is one experiment. Its YAML/JSON keys are the snake_case names in the field tags.
type Config struct {
	// Name labels the experiment (logs, plots).
	Name string `yaml:"name" json:"name"`
	// Model is the architecture and its options.
	Model ModelConfig `yaml:"model" json:"model"`
	// InputW, InputH are the network input size in pixels; the heatmaps are a quarter of it.
	InputW int `yaml:"input_w" json:"input_w"`
	InputH int `yaml:"input_h" json:"input_h"`
	// Codec is the heatmap convention: msra, unbiased or udp, integral (soft-argmax regression,
	// trained by train.IntegralL1), or movenet (MSRA heatmaps plus MoveNet's offset and
	// regression heads, trained by OffsetL1 and RegressionL1; for nets that have them).
	Codec string `yaml:"codec" json:"codec"`
	// Sigma is the gaussian's standard deviation in heatmap pixels.
	Sigma float64 `yaml:"sigma" json:"sigma"`
	// DistWeight, for the integral codec, adds TargetKL (the maps' spatial softmax pulled towards
	// the GT gaussians) to the GT loss with this weight; 0 leaves it out.
	DistWeight float64 `yaml:"dist_weight" json:"dist_weight"`
	// Augment configures the training augmentation.
	Augment AugmentConfig `yaml:"augment" json:"augment"`
	// Optimizer is adam or adamw.
	Optimizer string `yaml:"optimizer" json:"optimizer"`
	// LR is the peak learning rate; WeightDecay is AdamW's decoupled decay.
	LR          float64 `yaml:"lr" json:"lr"`
	WeightDecay float64 `yaml:"weight_decay" json:"weight_decay"`
	// Schedule is "cosine" (to MinLR after the warmup) or "step" (LR·StepGamma at each of
	// StepMilestones) or "constant".
	Schedule       string  `yaml:"schedule" json:"schedule"`
	WarmupSteps    int     `yaml:"warmup_steps" json:"warmup_steps"`
	MinLR          float64 `yaml:"min_lr" json:"min_lr"`
	StepMilestones []int   `yaml:"step_milestones" json:"step_milestones"`
	StepGamma      float64 `yaml:"step_gamma" json:"step_gamma"`
	// ClipStep bounds every parameter update to ±ClipStep (GoMLX's clip_step_by_value); 0 disables.
	ClipStep float64 `yaml:"clip_step" json:"clip_step"`
	// BatchSize is the number of crops per step; Steps the length of the run.
	BatchSize int `yaml:"batch_size" json:"batch_size"`
	Steps     int `yaml:"steps" json:"steps"`
	// CheckpointEvery and ValidateEvery are intervals in steps (0: only at the end).
	CheckpointEvery int `yaml:"checkpoint_every" json:"checkpoint_every"`
	ValidateEvery   int `yaml:"validate_every" json:"validate_every"`
	// FlipTest averages the heatmaps of the crop and of its mirror at validation.
	FlipTest bool `yaml:"flip_test" json:"flip_test"`
	// PairSeparation, when above 0, moves one joint of a left/right pair whose heatmaps peak on
	// one spot to its own second peak if that reaches this share of its maximum
	// (codec.Codec.SeparatePairs); it applies wherever the model's heatmaps are decoded. 0.5 by
	// default (chosen on training images); 0 decodes every joint at its own maximum.
	PairSeparation float64 `yaml:"pair_separation" json:"pair_separation"`
	// Seed drives initialization, data order and augmentation.
	Seed uint64 `yaml:"seed" json:"seed"`
	// Backend is the GoMLX backend configuration ("" uses GOMLX_BACKEND, then "go").
	Backend string `yaml:"backend" json:"backend"`
	// Workers is the number of data-loading goroutines (0 means 1).
	Workers int `yaml:"workers" json:"workers"`
	// Targets adds GT targets besides the heatmaps to the training batches.
	Targets TargetsConfig `yaml:"targets" json:"targets"`
}

// TargetsConfig selects the GT targets a training batch carries besides heatmaps and weights,
// for loss terms that need them (a network with a mask or location-map head).
type TargetsConfig struct {
	// Masks adds the person masks (TensorMasks, TensorMaskWeights).
	Masks bool `yaml:"masks" json:"masks"`
	// Locations adds location maps of the COCO-17 joints rooted at Root3D, from the annotations'
	// 3D joints read by ReadSplit3D (TensorLocationMaps, TensorLocationWeights).
	Locations bool `yaml:"locations" json:"locations"`
}

// ModelConfig names an architecture and its options.
type ModelConfig struct {
	// Arch is mobilenetv2, movnect or simplebaseline, or any name of nets.Catalog() (then the
	// options below must be zero).
	Arch string `yaml:"arch" json:"arch"`
	// File, when set, replaces Arch: a network description (nets.Net as JSON), the net.json of a
	// run written by "posedistill models import" (an imported pretrained model) or of any run. The
	// options below must then be zero.
	File string `yaml:"file" json:"file,omitempty"`
	// Width is the channel width multiplier (0 means 1).
	Width float64 `yaml:"width" json:"width"`
	// HeadChannels is the width of the head (0: the architecture's default).
	HeadChannels int `yaml:"head_channels" json:"head_channels"`
	// Depth is the ResNet depth of simplebaseline (0 means 50).
	Depth int `yaml:"depth" json:"depth"`
	// DeconvHead selects mobilenetv2's SimpleBaseline-style head.
	DeconvHead bool `yaml:"deconv_head" json:"deconv_head"`
	// Skips gives movnect's head lateral connections from the trunk (nets.MoVNectOptions.Skips).
	Skips bool `yaml:"skips" json:"skips,omitempty"`
}

// AugmentConfig configures the training crops' augmentation. Zero values disable each part.
type AugmentConfig struct {
	FlipProb     float64 `yaml:"flip_prob" json:"flip_prob"`
	HalfBodyProb float64 `yaml:"half_body_prob" json:"half_body_prob"`
	ScaleMin     float64 `yaml:"scale_min" json:"scale_min"`
	ScaleMax     float64 `yaml:"scale_max" json:"scale_max"`
	RotateProb   float64 `yaml:"rotate_prob" json:"rotate_prob"`
	RotateDeg    float64 `yaml:"rotate_deg" json:"rotate_deg"`
	ShiftProb    float64 `yaml:"shift_prob" json:"shift_prob"`
	ShiftFactor  float64 `yaml:"shift_factor" json:"shift_factor"`
}

// DefaultConfig returns the defaults every config file starts from: a MobileNetV2 student at
// 96×128, MSRA heatmaps with sigma 2 (24×32), Adam 1e-3 with 100 warmup steps and a cosine decay,
// batch 16, 1000 steps, MMPose-like augmentation.
func DefaultConfig() Config {
	return Config{
		Name:   "experiment",
		Model:  ModelConfig{Arch: "mobilenetv2"},
		InputW: 96, InputH: 128, Codec: "msra", Sigma: 2,
		Augment: AugmentConfig{
			FlipProb: 0.5, HalfBodyProb: 0.3, ScaleMin: 0.75, ScaleMax: 1.25,
			RotateProb: 0.6, RotateDeg: 40, ShiftProb: 0.3, ShiftFactor: 0.1,
		},
		Optimizer: "adam", LR: 1e-3, Schedule: "cosine", WarmupSteps: 100, StepGamma: 0.1,
		BatchSize: 16, Steps: 1000, CheckpointEvery: 200, ValidateEvery: 500, FlipTest: true,
		Seed: 1, Workers: 1, PairSeparation: 0.5,
	}
}

// LoadConfig reads an experiment file (.yaml, .yml or .json) over DefaultConfig. Unknown keys
// and invalid values are errors that name the file and the key.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return DefaultConfig(), fmt.Errorf("config %s: %w", path, err)
	}
	cfg, err := ParseConfig(data, strings.ToLower(filepath.Ext(path)) == ".json")
	if err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig decodes an experiment config (JSON, else YAML) over DefaultConfig and validates
// it. An empty document is an error (it would train the default network without saying so), and
// so is an explicit YAML "width: 0" (0 stands for "unset", i.e. 1.0, only when left out).
func ParseConfig(data []byte, isJSON bool) (Config, error) {
	cfg := DefaultConfig()
	if isJSON {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			if errors.Is(err, io.EOF) {
				return cfg, errors.New("empty config: give at least model.arch")
			}
			return cfg, err
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return cfg, errors.New("data after the config's JSON object")
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil {
			if errors.Is(err, io.EOF) {
				return cfg, errors.New("empty config: give at least model.arch")
			}
			return cfg, err
		}
		var probe struct {
			Model struct {
				Width *float64 `yaml:"width"`
			} `yaml:"model"`
		}
		if yaml.Unmarshal(data, &probe) == nil && probe.Model.Width != nil && *probe.Model.Width == 0 {
			return cfg, errors.New("invalid model.width: 0 (a width multiplier > 0; leave it out for 1.0)")
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// maxInput bounds input_w and input_h (a crop of 4096×4096 is 200 MB of float32 per image).
const maxInput = 4096

// Validate reports the first invalid value, naming its key.
func (c *Config) Validate() error {
	for _, f := range []struct {
		key string
		v   float64
	}{
		{"model.width", c.Model.Width}, {"sigma", c.Sigma}, {"dist_weight", c.DistWeight}, {"lr", c.LR}, {"weight_decay", c.WeightDecay},
		{"min_lr", c.MinLR}, {"step_gamma", c.StepGamma}, {"clip_step", c.ClipStep}, {"pair_separation", c.PairSeparation},
		{"augment.scale_min", c.Augment.ScaleMin}, {"augment.scale_max", c.Augment.ScaleMax},
		{"augment.rotate_deg", c.Augment.RotateDeg}, {"augment.shift_factor", c.Augment.ShiftFactor},
	} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("invalid %s: %v (a finite number)", f.key, f.v)
		}
	}
	checks := []struct {
		ok  bool
		key string
		val any
	}{
		{c.Model.Arch != "" || c.Model.File != "", "model.arch or model.file", c.Model.Arch},
		{c.Model.Width >= 0, "model.width", c.Model.Width},
		{c.Model.HeadChannels >= 0, "model.head_channels", c.Model.HeadChannels},
		{c.InputW >= 32 && c.InputW <= maxInput && c.InputW%16 == 0, "input_w (a multiple of 16, 32 to 4096)", c.InputW},
		{c.InputH >= 32 && c.InputH <= maxInput && c.InputH%16 == 0, "input_h (a multiple of 16, 32 to 4096)", c.InputH},
		{validCodec(c.Codec), "codec (msra, unbiased, udp or integral)", c.Codec},
		{c.Sigma > 0, "sigma", c.Sigma},
		{c.DistWeight >= 0, "dist_weight", c.DistWeight},
		{c.DistWeight == 0 || c.Codec == "integral", "dist_weight (only with codec integral)", c.DistWeight},
		{c.Optimizer == "adam" || c.Optimizer == "adamw", "optimizer (adam or adamw)", c.Optimizer},
		{c.LR > 0, "lr", c.LR},
		{c.WeightDecay >= 0, "weight_decay", c.WeightDecay},
		{c.Schedule == "cosine" || c.Schedule == "step" || c.Schedule == "constant", "schedule (cosine, step or constant)", c.Schedule},
		{c.WarmupSteps >= 0, "warmup_steps", c.WarmupSteps},
		{c.MinLR >= 0 && c.MinLR <= c.LR, "min_lr (0 ≤ min_lr ≤ lr)", c.MinLR},
		{c.StepGamma > 0, "step_gamma", c.StepGamma},
		{c.ClipStep >= 0, "clip_step", c.ClipStep},
		{c.PairSeparation >= 0 && c.PairSeparation <= 1, "pair_separation (0 to 1)", c.PairSeparation},
		{c.BatchSize >= 1, "batch_size", c.BatchSize},
		{c.Steps >= 1, "steps", c.Steps},
		{c.CheckpointEvery >= 0, "checkpoint_every", c.CheckpointEvery},
		{c.ValidateEvery >= 0, "validate_every", c.ValidateEvery},
		{c.Workers >= 0, "workers", c.Workers},
		{c.Augment.ScaleMin >= 0 && c.Augment.ScaleMax >= c.Augment.ScaleMin, "augment.scale_min/scale_max", [2]float64{c.Augment.ScaleMin, c.Augment.ScaleMax}},
	}
	for _, ch := range checks {
		if !ch.ok {
			return fmt.Errorf("invalid %s: %v", ch.key, ch.val)
		}
	}
	if net, err := c.Net(); err == nil && net.InputMultiple > 1 && (c.InputW%net.InputMultiple != 0 || c.InputH%net.InputMultiple != 0) {
		return fmt.Errorf("invalid input_w×input_h %d×%d: %s needs multiples of %d", c.InputW, c.InputH, net.Name, net.InputMultiple)
	}
	for i, m := range c.StepMilestones {
		if m < 1 || (i > 0 && m <= c.StepMilestones[i-1]) {
			return fmt.Errorf("invalid step_milestones: %v (want increasing steps ≥ 1)", c.StepMilestones)
		}
	}
	for _, p := range []struct {
		key string
		v   float64
	}{
		{"augment.flip_prob", c.Augment.FlipProb}, {"augment.half_body_prob", c.Augment.HalfBodyProb},
		{"augment.rotate_prob", c.Augment.RotateProb}, {"augment.shift_prob", c.Augment.ShiftProb},
	} {
		if !(p.v >= 0 && p.v <= 1) {
			return fmt.Errorf("invalid %s: %v (a probability)", p.key, p.v)
		}
	}
	if _, err := c.Net(); err != nil {
		return fmt.Errorf("invalid model: %w", err)
	}
	return nil
}

// validCodec reports whether name is a codec kind (codec.ParseKind's names, "dark" aside).
func validCodec(name string) bool {
	_, err := codec.ParseKind(name)
	return err == nil && name != "dark"
}
