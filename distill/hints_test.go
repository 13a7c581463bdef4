package distill

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/graft/hints"
	"github.com/posedistill/posedistill/train"
)

// Hints pull a student's layers towards the teacher's channels they name: over a short run from
// scratch with the GT term and the hints, every hint's normalised error falls (first five steps
// against the last five).
func TestHintsPullStudentFeaturesToTheTeacher(t *testing.T) {
	tmp := t.TempDir()
	tcfg := tinyConfig("teacher", 0.5, 16)
	tcfg.Steps, tcfg.Seed = 10, 9
	trainTeacher(t, tcfg, filepath.Join(tmp, "teacher"))
	// MobileNetV2 0.5's stage outputs have 16 and 16 channels, 0.25's 8 and 8: every other one.
	set := hints.Set{Teacher: filepath.Join(tmp, "teacher"), Hints: []hints.Hint{
		{Student: "features_3_add", Teacher: "features_3_add", Channels: []int{0, 2, 4, 6, 8, 10, 12, 14}},
		{Student: "features_6_add", Teacher: "features_6_add", Channels: []int{1, 3, 5, 7, 9, 11, 13, 15}},
	}}
	file := filepath.Join(tmp, hints.File)
	if err := hints.Write(file, set); err != nil {
		t.Fatal(err)
	}
	scfg := tinyConfig("student", 0.25, 8)
	scfg.Steps, scfg.LR = 30, 1e-2
	sdir := filepath.Join(tmp, "student")
	rec := Recipe{Alpha: 1, Hints: &HintTerms{File: file, Weight: 1}}
	if _, err := Train(context.Background(), RunOptions{Config: scfg, Recipe: rec, DataDir: testData(t), OutDir: sdir, Backend: testBackend(t), LogEvery: 1}); err != nil {
		t.Fatal(err)
	}
	recs, err := train.ReadRecords(filepath.Join(sdir, train.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var terms []map[string]float64
	for _, r := range recs {
		if r.Terms != nil {
			terms = append(terms, r.Terms)
		}
	}
	mean := func(name string, rs []map[string]float64) float64 {
		s := 0.0
		for _, r := range rs {
			s += r[name] / float64(len(rs))
		}
		return s
	}
	for _, h := range set.Hints {
		name := "hint_" + h.Student
		a, b := mean(name, terms[:5]), mean(name, terms[len(terms)-5:])
		t.Logf("%s: %.3f → %.3f", name, a, b)
		if !(a > 0 && b < 0.8*a) {
			t.Errorf("%s did not fall: %.4g at the start, %.4g at the end", name, a, b)
		}
	}
}

// Hints that do not fit the student or the teacher are refused before training, naming the layer.
func TestHintsRefuseMismatches(t *testing.T) {
	tmp := t.TempDir()
	tcfg := tinyConfig("teacher", 0.5, 16)
	tcfg.Steps = 1
	trainTeacher(t, tcfg, filepath.Join(tmp, "teacher"))
	scfg := tinyConfig("student", 0.25, 8)
	for _, tc := range []struct {
		name string
		hint hints.Hint
		want string
	}{
		{"unknown teacher layer", hints.Hint{Student: "features_3_add", Teacher: "nope", Channels: []int{0}}, "has no layer nope"},
		{"channel count", hints.Hint{Student: "features_3_add", Teacher: "features_3_add", Channels: []int{0, 1, 2}}, "3 channels chosen"},
		{"channel beyond", hints.Hint{Student: "features_3_add", Teacher: "features_3_add", Channels: []int{0, 1, 2, 3, 4, 5, 6, 99}}, "8 channels chosen"},
		{"resolution", hints.Hint{Student: "features_3_add", Teacher: "features_6_add", Channels: []int{0, 1, 2, 3, 4, 5, 6, 7}}, "features_3_add ← features_6_add"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), hints.File)
			if err := hints.Write(file, hints.Set{Teacher: filepath.Join(tmp, "teacher"), Hints: []hints.Hint{tc.hint}}); err != nil {
				t.Fatal(err)
			}
			rec := Recipe{Alpha: 1, Hints: &HintTerms{File: file, Weight: 1}}
			_, err := Train(context.Background(), RunOptions{Config: scfg, Recipe: rec, DataDir: testData(t), OutDir: t.TempDir(), Backend: testBackend(t)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
