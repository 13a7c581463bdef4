package train

import (
	"math"
	"strings"
	"testing"
)

func TestLoadConfigErrorsNameFileAndKey(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, file, content string
		want                []string // substrings of the error
	}{
		{"unknown key", "a.yaml", "lr: 0.1\nlearnign_rate: 3\n", []string{"a.yaml", "learnign_rate"}},
		{"unknown nested key", "b.yaml", "model:\n  arch: movnect\n  widht: 2\n", []string{"b.yaml", "widht"}},
		{"bad type", "c.yaml", "steps: many\n", []string{"c.yaml", "many"}},
		{"negative lr", "d.yaml", "lr: -1\n", []string{"d.yaml", "lr"}},
		{"input not multiple of 32", "e.yaml", "input_w: 100\n", []string{"e.yaml", "input_w"}},
		{"unknown codec", "f.yaml", "codec: gaussian\n", []string{"f.yaml", "codec"}},
		{"unknown arch", "g.yaml", "model: {arch: vgg}\n", []string{"g.yaml", "vgg"}},
		{"probability", "h.yaml", "augment: {flip_prob: 2}\n", []string{"h.yaml", "augment.flip_prob"}},
		{"milestones", "i.yaml", "schedule: step\nstep_milestones: [100, 50]\n", []string{"i.yaml", "step_milestones"}},
		{"json unknown key", "j.json", `{"lr": 0.1, "bogus": 1}`, []string{"j.json", "bogus"}},
		{"syntax", "k.yaml", "lr: [\n", []string{"k.yaml"}},
		{"no network", "l.yaml", "model: {arch: \"\"}\n", []string{"l.yaml", "model.arch or model.file"}},
		{"missing net file", "m.yaml", "model: {file: /nonexistent/net.json}\n", []string{"m.yaml", "/nonexistent/net.json"}},
		{"pair separation above 1", "o.yaml", "pair_separation: 1.5\n", []string{"o.yaml", "pair_separation"}},
		{"net file with options", "n.yaml", "model: {file: /nonexistent/net.json, width: 0.5}\n", []string{"n.yaml", "takes no options"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(writeFile(t, dir, tc.file, tc.content))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadConfigOverridesDefaults(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ file, content string }{
		{"x.yaml", "name: x\nmodel: {arch: simplebaseline, depth: 18, width: 0.25}\nlr: 0.01\nsteps: 7\n"},
		{"x.json", `{"name": "x", "model": {"arch": "simplebaseline", "depth": 18, "width": 0.25}, "lr": 0.01, "steps": 7}`},
	} {
		cfg, err := LoadConfig(writeFile(t, dir, tc.file, tc.content))
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		def := DefaultConfig()
		if cfg.Name != "x" || cfg.LR != 0.01 || cfg.Steps != 7 || cfg.Model.Depth != 18 || cfg.BatchSize != def.BatchSize || cfg.Sigma != def.Sigma {
			t.Errorf("%s: got %+v", tc.file, cfg)
		}
	}
}

// TestConfigRefusesSilentDefaults: values that used to pass or be read as something else are
// refused with a one-line error naming the key (issue 16): lr .inf or NaN, an explicit width 0
// (which meant 1.0), an empty config (which trained the default network).
func TestConfigRefusesSilentDefaults(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, content, want string }{
		{"inf.yaml", "model: {arch: movnect}\nlr: .inf\n", "invalid lr: +Inf"},
		{"nan.yaml", "model: {arch: movnect}\nlr: .nan\n", "invalid lr: NaN"},
		{"sigma.yaml", "model: {arch: movnect}\nsigma: .inf\n", "invalid sigma"},
		{"width0.yaml", "model: {arch: movnect, width: 0}\n", "invalid model.width: 0"},
		{"empty.yaml", "", "empty config"},
		{"comments.yaml", "# nothing here\n", "empty config"},
		{"empty.json", "", "empty config"},
		{"trailing.json", `{"model": {"arch": "movnect"}} {"lr": 5}`, "data after"},
	} {
		_, err := LoadConfig(writeFile(t, dir, tc.name, tc.content))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.name) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line naming the file and %q", tc.name, err, tc.want)
		}
	}
	// A saved run's config.json keeps width 0 for "unset": it still loads.
	if _, err := LoadConfig(writeFile(t, dir, "config.json", `{"model": {"arch": "movnect", "width": 0}}`)); err != nil {
		t.Errorf("config.json with width 0: %v", err)
	}
}

func TestShippedConfigsLoad(t *testing.T) {
	for _, p := range []string{"../configs/student-mobilenetv2-synth.yaml", "../configs/teacher-simplebaseline-r18-synth.yaml"} {
		if _, err := LoadConfig(p); err != nil {
			t.Error(err)
		}
	}
}

func TestLearningRate(t *testing.T) {
	c := DefaultConfig()
	c.LR, c.MinLR, c.WarmupSteps, c.Steps = 1, 0.1, 10, 110
	step := c
	step.Schedule, step.StepMilestones, step.StepGamma = "step", []int{50, 80}, 0.5
	constant := c
	constant.Schedule, constant.WarmupSteps = "constant", 0
	tests := []struct {
		name string
		cfg  Config
		step int
		want float64
	}{
		{"warmup first", c, 0, 0.1},
		{"warmup mid", c, 4, 0.5},
		{"cosine start", c, 10, 1},
		{"cosine half", c, 60, 0.55},
		{"cosine end", c, 110, 0.1},
		{"after end", c, 500, 0.1},
		{"step before", step, 49, 1},
		{"step first", step, 50, 0.5},
		{"step second", step, 80, 0.25},
		{"constant", constant, 77, 1},
	}
	for _, tc := range tests {
		if got := tc.cfg.LearningRate(tc.step); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: LearningRate(%d) = %v, want %v", tc.name, tc.step, got, tc.want)
		}
	}
}
