package distill

import (
	"context"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// TestRecipeRoundTrip saves a recipe with every field set and reads it back unchanged.
func TestRecipeRoundTrip(t *testing.T) {
	end := 0.25
	r := Recipe{
		Teachers: []TeacherRef{{Name: PrimaryName, Run: "runs/p", Binarize: &Binarization{Threshold: 0.4, Floor: 0.2}}, {Name: SeniorName, Model: "blazepose-heavy"}},
		Alpha:    0.5, AlphaEnd: &end, Order: Reversed, Switch: 7, Mask: true, MaskWeight: 0.1, RestrictWeight: 2,
	}
	dir := t.TempDir()
	if err := r.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRecipe(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("read back %+v, saved %+v", got, r)
	}
	if _, err := ReadRecipe(t.TempDir()); err == nil || !strings.Contains(err.Error(), RecipeFile) {
		t.Errorf("a run without recipe.json: %v", err)
	}
}

// TestRecipeHashCoversEveryWeight is the regression test of the stale-teacher bug: the cache
// directory of a teacher hashed only its loss term names, so a senior teacher trained with mask
// weight 0.1 was reused for mask weight 5. Every weight of a recipe now changes the key.
func TestRecipeHashCoversEveryWeight(t *testing.T) {
	cfg := tinyConfig("senior", 0.25, 8)
	cache := t.TempDir()
	dir := func(r Recipe) string {
		d, err := TeacherDir(TeacherSpec{Name: SeniorName, Config: cfg, Recipe: r, Data: "data"}, cache)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if a, b := dir(Recipe{GTMaskWeight: 0.1}), dir(Recipe{GTMaskWeight: 5}); a == b {
		t.Errorf("senior teachers with mask weights 0.1 and 5 share the cache directory %s", a)
	}
	base := Recipe{Teachers: []TeacherRef{{Name: PrimaryName, Run: "p"}, {Name: SeniorName, Run: "s"}}, Alpha: 0.5, Switch: 10, Mask: true, MaskWeight: 0.1, RestrictWeight: 1}
	seen := map[string]string{}
	for name, change := range map[string]func(*Recipe){
		"base":            func(*Recipe) {},
		"mask weight":     func(r *Recipe) { r.MaskWeight = 5 },
		"restrict weight": func(r *Recipe) { r.RestrictWeight = 2 },
		"alpha":           func(r *Recipe) { r.Alpha = 0.25 },
		"switch":          func(r *Recipe) { r.Switch = 11 },
		"binarization":    func(r *Recipe) { r.Teachers[1].Binarize = &Binarization{Threshold: 0.5, Floor: 0.2} },
		"senior run":      func(r *Recipe) { r.Teachers[1].Run = "s2" },
		"pair weight":     func(r *Recipe) { r.PairWeight = 4 },
	} {
		r := base
		r.Teachers = append([]TeacherRef(nil), base.Teachers...)
		change(&r)
		h, err := r.Hash()
		if err != nil {
			t.Fatal(err)
		}
		if other, ok := seen[h]; ok {
			t.Errorf("%s and %s give the same hash", name, other)
		}
		seen[h] = name
	}
}

// TestRecipeTerms checks the one term builder against the forms the CLI, the ablation and the
// label-free distillation used to build by hand.
func TestRecipeTerms(t *testing.T) {
	names := func(r Recipe, cfg train.Config) string {
		terms, err := r.Terms(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var n []string
		for _, tm := range terms {
			n = append(n, tm.Name)
		}
		return strings.Join(n, " ")
	}
	bin := &Binarization{Threshold: 0.5, Floor: 0.2}
	two := []TeacherRef{{Name: PrimaryName, Model: "blazepose-full", Binarize: bin}, {Name: SeniorName, Model: "blazepose-heavy", Binarize: bin}}
	for _, c := range []struct {
		r    Recipe
		want string
	}{
		{Recipe{}, "heatmap_gt"},
		{Recipe{GTMaskWeight: 0.1, MaskHead: true}, "heatmap_gt mask_gt"},
		{Recipe{Teachers: two[:1], Alpha: 0.5}, "heatmap_gt heatmap_primary"},
		{Recipe{Teachers: two, Alpha: 0.5, Switch: 50, Mask: true, MaskWeight: 0.1, RestrictWeight: 1}, "heatmap_gt heatmap_primary heatmap_senior mask_senior mask_restrict"},
		{Recipe{Pose3D: &Pose3DTerms{BoneWeight: 0.1}}, "heatmap_gt location_gt bone_length"},
		{Recipe{Pose3D: &Pose3DTerms{BoneWeight: 0.1, JointWeight: 1}}, "heatmap_gt location_gt bone_length location_joint_gt"},
		{Recipe{Pose3D: &Pose3DTerms{BoneWeight: 0.1}, Teachers: []TeacherRef{{Name: "teacher3d", Run: "t"}}, Alpha: 0.5}, "heatmap_gt heatmap_teacher3d location_gt location_teacher3d bone_length"},
		{Recipe{Pose3D: &Pose3DTerms{BoneWeight: 0.1, TeacherIs2D: true}, Teachers: []TeacherRef{{Name: "primary", Run: "t"}}, Alpha: 0.5}, "heatmap_gt heatmap_primary location_gt bone_length"},
		{Recipe{PairWeight: 4}, "heatmap_gt pair_gt"},
		{Recipe{Pose3D: &Pose3DTerms{BoneWeight: 0.1}, PairWeight: 4}, "heatmap_gt location_gt bone_length pair_gt"},
	} {
		if got := names(c.r, stepsConfig(100)); got != c.want {
			t.Errorf("%+v: terms %q, want %q", c.r, got, c.want)
		}
	}
	// The location weight scales the location-map terms only.
	for _, c := range []struct {
		r    Recipe
		want map[string]float64
	}{
		{Recipe{Pose3D: &Pose3DTerms{BoneWeight: 0.1, LocationWeight: 30}}, map[string]float64{"heatmap_gt": 1, "location_gt": 30, "bone_length": 0.1}},
		{Recipe{Pose3D: &Pose3DTerms{BoneWeight: 0.1, LocationWeight: 30}, Teachers: []TeacherRef{{Name: "teacher3d", Run: "t"}}, Alpha: 0.25},
			map[string]float64{"heatmap_gt": 0.25, "heatmap_teacher3d": 0.75, "location_gt": 7.5, "location_teacher3d": 22.5, "bone_length": 0.1}},
		{Recipe{Pose3D: &Pose3DTerms{BoneWeight: 0.1}}, map[string]float64{"heatmap_gt": 1, "location_gt": 1, "bone_length": 0.1}},
		{Recipe{Pose3D: &Pose3DTerms{BoneWeight: 0.1}, PairWeight: 4}, map[string]float64{"heatmap_gt": 1, "location_gt": 1, "bone_length": 0.1, "pair_gt": 4}},
	} {
		terms, err := c.r.Terms(stepsConfig(100))
		if err != nil {
			t.Fatal(err)
		}
		for _, tm := range terms {
			w := 1.0
			if tm.Weight != nil {
				w = tm.Weight(10)
			}
			if math.Abs(w-c.want[tm.Name]) > 1e-12 {
				t.Errorf("%+v: %s weight %v, want %v", *c.r.Pose3D, tm.Name, w, c.want[tm.Name])
			}
		}
	}
	integral := stepsConfig(100)
	integral.Codec = "integral"
	if got, want := names(Recipe{}, integral), "integral_gt"; got != want {
		t.Errorf("integral, no teacher: terms %q, want %q", got, want)
	}
	integral.DistWeight = 0.5
	if got, want := names(Recipe{Teachers: two, Alpha: 0.5, Switch: 50}, integral), "integral_gt dist_gt integral_primary dist_primary integral_senior dist_senior"; got != want {
		t.Errorf("integral, two teachers: terms %q, want %q", got, want)
	}
	if terms, err := (Recipe{Teachers: two, Alpha: 0.25, Switch: 50}).Terms(integral); err != nil {
		t.Fatal(err)
	} else if terms[1].Weight(0) != 0.125 || terms[3].Weight(49) != 0.375 || terms[5].Weight(49) != 0 || terms[5].Weight(50) != 0.375 {
		t.Error("integral: KL terms are not the L1 terms' weights × dist_weight, or do not follow the switch")
	}
	if _, err := (Recipe{Pose3D: &Pose3DTerms{BoneWeight: 0.1}}).Terms(integral); err == nil || !strings.Contains(err.Error(), "integral") {
		t.Errorf("3D terms with codec integral: error %v, want a refusal naming the codec", err)
	}
	if _, err := (Recipe{PairWeight: 4}).Terms(integral); err == nil || !strings.Contains(err.Error(), "integral") {
		t.Errorf("pair term with codec integral: error %v, want a refusal naming the codec", err)
	}
	terms, err := Recipe{Teachers: two, Alpha: 0.5, Switch: 50}.Terms(stepsConfig(100))
	if err != nil {
		t.Fatal(err)
	}
	if terms[1].Name != "heatmap_primary" || terms[1].Weight(49) != 0.5 || terms[1].Weight(50) != 0 || terms[2].Weight(50) != 0.5 {
		t.Error("ordered teachers: the senior does not take over at the switch step")
	}
	for _, bad := range []Recipe{
		{Teachers: []TeacherRef{{Name: "a", Run: "x", Model: "blazepose-full"}}},
		{Teachers: two, Order: Ordered},
		{Teachers: two[:1], Mask: true},
		{Teachers: append(two, TeacherRef{Name: "c", Run: "x"})},
		{Alpha: 1.5},
		{PairWeight: -1},
		{PairWeight: math.NaN()},
	} {
		if _, err := bad.Terms(stepsConfig(100)); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// TestTrainSavesRecipeAndRefusesAnotherOnResume trains two steps, checks recipe.json, and
// refuses to resume the run with another recipe.
func TestTrainSavesRecipeAndRefusesAnotherOnResume(t *testing.T) {
	ctx := context.Background()
	dir, be := testData(t), testBackend(t)
	cfg := tinyConfig("recipe", 0.25, 8)
	cfg.Steps, cfg.CheckpointEvery = 2, 0
	out := filepath.Join(t.TempDir(), "run")
	if _, err := Train(ctx, RunOptions{Config: cfg, Recipe: Recipe{MaskHead: true}, DataDir: dir, OutDir: out, Backend: be, StopAt: 1}); err != nil {
		t.Fatal(err)
	}
	if r, err := ReadRecipe(out); err != nil || !r.MaskHead {
		t.Fatalf("saved recipe %+v, %v", r, err)
	}
	_, err := Train(ctx, RunOptions{Config: cfg, Recipe: Recipe{MaskHead: true, GTMaskWeight: 1}, DataDir: dir, OutDir: out, Backend: be, Resume: true})
	if err == nil || !strings.Contains(err.Error(), "another recipe") {
		t.Errorf("resume with another recipe: %v", err)
	}
	if _, err := Train(ctx, RunOptions{Config: cfg, Recipe: Recipe{MaskHead: true}, DataDir: dir, OutDir: out, Backend: be, Resume: true}); err != nil {
		t.Errorf("resume with the saved recipe: %v", err)
	}
}

// TestOpenTeacherRejectsUnknownModels names the imported models a recipe may use.
func TestOpenTeacherRejectsUnknownModels(t *testing.T) {
	_, err := OpenTeacher(TeacherRef{Name: PrimaryName, Model: "posenet-mobilenet"}, nil, topdown.Config{})
	if err == nil || !strings.Contains(err.Error(), "movenet-lightning") || !strings.Contains(err.Error(), "movenet-multipose") {
		t.Errorf("an unknown model as teacher: %v", err)
	}
}

// stepsConfig is the default configuration with the given number of steps.
func stepsConfig(steps int) train.Config {
	c := train.DefaultConfig()
	c.Steps = steps
	return c
}
