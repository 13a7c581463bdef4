package distill

import (
	"testing"

	"github.com/posedistill/posedistill/train"
)

func TestStagesSwitchAtConfiguredStep(t *testing.T) {
	cases := []struct {
		name           string
		st             Stages
		step           int
		primary, senio float64
	}{
		{"ordered, first stage", Stages{Order: Ordered, PrimarySteps: 100}, 0, 1, 0},
		{"ordered, last primary step", Stages{Order: Ordered, PrimarySteps: 100}, 99, 1, 0},
		{"ordered, switch", Stages{Order: Ordered, PrimarySteps: 100}, 100, 0, 1},
		{"ordered, late", Stages{Order: Ordered, PrimarySteps: 100}, 5000, 0, 1},
		{"ordered, senior stage ends", Stages{Order: Ordered, PrimarySteps: 100, SeniorSteps: 50}, 150, 0, 0},
		{"ordered, senior stage last", Stages{Order: Ordered, PrimarySteps: 100, SeniorSteps: 50}, 149, 0, 1},
		{"reversed, first stage", Stages{Order: Reversed, SeniorSteps: 30}, 29, 0, 1},
		{"reversed, switch", Stages{Order: Reversed, SeniorSteps: 30}, 30, 1, 0},
		{"reversed, primary stage ends", Stages{Order: Reversed, SeniorSteps: 30, PrimarySteps: 10}, 40, 0, 0},
		{"unordered", Stages{Order: Unordered}, 7, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.st.Validate(); err != nil {
				t.Fatal(err)
			}
			if p, s := c.st.Primary()(c.step), c.st.Senior()(c.step); p != c.primary || s != c.senio {
				t.Errorf("step %d: primary %v senior %v, want %v %v", c.step, p, s, c.primary, c.senio)
			}
		})
	}
}

func TestStagesValidate(t *testing.T) {
	for _, st := range []Stages{
		{Order: "sideways", PrimarySteps: 1},
		{Order: Ordered},
		{Order: Reversed, PrimarySteps: 5},
		{Order: Ordered, PrimarySteps: -1},
	} {
		if err := st.Validate(); err == nil {
			t.Errorf("%+v: no error", st)
		}
	}
}

// TestVariantWeights checks the weights the ODKD variants' recipes give their terms at given steps.
func TestVariantWeights(t *testing.T) {
	p := VariantParams{Primary: "p", Senior: "s", Alpha: 0.25, Binarize: 0.5, Switch: 10, MaskWeight: 0.1, RestrictWeight: 2}
	weights := func(terms []train.Term, step int) map[string]float64 {
		m := map[string]float64{}
		for _, tm := range terms {
			m[tm.Name] = 1 // a nil schedule is weight 1
			if tm.Weight != nil {
				m[tm.Name] = tm.Weight(step)
			}
		}
		return m
	}
	cases := []struct {
		variant string
		step    int
		want    map[string]float64
	}{
		{"odkd", 9, map[string]float64{"heatmap_gt": 0.25, "heatmap_primary": 0.75, "heatmap_senior": 0, "mask_senior": 0, "mask_restrict": 0}},
		{"odkd", 10, map[string]float64{"heatmap_gt": 0.25, "heatmap_primary": 0, "heatmap_senior": 0.75, "mask_senior": 0.1, "mask_restrict": 2}},
		{"both", 0, map[string]float64{"heatmap_gt": 0.25, "heatmap_primary": 0.375, "heatmap_senior": 0.375, "mask_senior": 0.1, "mask_restrict": 2}},
		{"odkd_nomask", 10, map[string]float64{"heatmap_gt": 0.25, "heatmap_primary": 0, "heatmap_senior": 0.75}},
		{"senior", 3, map[string]float64{"heatmap_gt": 0.25, "heatmap_senior": 0.75}},
		{"gt", 3, map[string]float64{"heatmap_gt": 1}},
	}
	for _, c := range cases {
		r, err := VariantRecipe(c.variant, p)
		if err != nil {
			t.Fatal(err)
		}
		terms, err := r.Terms(stepsConfig(100))
		if err != nil {
			t.Fatal(err)
		}
		got := weights(terms, c.step)
		if len(got) != len(c.want) {
			t.Errorf("%s: terms %v, want %v", c.variant, got, c.want)
			continue
		}
		for k, w := range c.want {
			if g, ok := got[k]; !ok || g != w {
				t.Errorf("%s step %d: %s weight %v, want %v", c.variant, c.step, k, g, w)
			}
		}
	}
	for _, name := range []string{"odkd", "both"} {
		r, _ := VariantRecipe(name, p)
		if r.Teachers[0].Binarize == nil || r.Teachers[1].Binarize == nil {
			t.Errorf("%s: teachers not binarized", name)
		}
	}
	if r, _ := VariantRecipe("odkd_nobin", p); r.Teachers[0].Binarize != nil || r.Teachers[1].Binarize != nil {
		t.Error("odkd_nobin binarizes")
	}
	if _, err := VariantRecipe("nonsense", p); err == nil {
		t.Error("unknown variant: no error")
	}
}
