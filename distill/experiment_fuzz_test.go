package distill

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadExperiment feeds arbitrary YAML to the experiment loader (seeded with the shipped
// ablation file, beside a copy of the configs it names): it must return an error or an
// experiment whose values are usable, never panic.
func FuzzLoadExperiment(f *testing.F) {
	configs := f.TempDir()
	shipped, _ := filepath.Glob("../configs/*.yaml")
	for _, p := range shipped {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(configs, filepath.Base(p)), b, 0o644); err != nil {
			f.Fatal(err)
		}
		if filepath.Base(p) == "odkd_ablation.yaml" {
			f.Add(b)
		}
	}
	f.Add([]byte("name: x\nstudent: odkd_student.yaml\nprimary: odkd_primary.yaml\nsenior: odkd_senior.yaml\nseeds: [1]\nvariants: [gt]\n"))
	f.Add([]byte("seeds: [1, 1]\nvariants: [nope]\nalpha: .nan\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(configs, "fuzz-experiment.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		e, err := LoadExperiment(path)
		if err != nil {
			return
		}
		if e.Alpha != e.Alpha || e.Binarize != e.Binarize || len(e.Seeds) == 0 {
			t.Errorf("accepted alpha %v, binarize %v, seeds %v", e.Alpha, e.Binarize, e.Seeds)
		}
	})
}
