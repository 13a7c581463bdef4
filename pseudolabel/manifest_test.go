package pseudolabel

import (
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/atomicfile"
)

// TestSameManifest reuses pseudo labels only for the same inputs and labelling options.
func TestSameManifest(t *testing.T) {
	dir := t.TempDir()
	base := labelsManifest{Version: 2, Senior: "blazepose-heavy", Inputs: []string{"/a.avi", "/b.jpg"}, Frames: 10, Stride: 2, DetectTile: 300, Holdout: 0.25}
	if sameManifest(dir, base) {
		t.Fatal("a directory without labels.json matches")
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, LabelsManifest), base); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*labelsManifest)
		want bool
	}{
		{"same", func(*labelsManifest) {}, true},
		{"other senior", func(m *labelsManifest) { m.Senior = "blazepose-full" }, false},
		{"other inputs", func(m *labelsManifest) { m.Inputs = []string{"/a.avi"} }, false},
		{"other stride", func(m *labelsManifest) { m.Stride = 1 }, false},
		{"other holdout", func(m *labelsManifest) { m.Holdout = 0.5 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := base
			m.Inputs = append([]string(nil), base.Inputs...)
			tc.edit(&m)
			if got := sameManifest(dir, m); got != tc.want {
				t.Errorf("sameManifest %v, want %v", got, tc.want)
			}
		})
	}
}
