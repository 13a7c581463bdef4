package pseudolabel

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/dataset"
)

// TestCheckpointResumesLabelling labels five frames in one go, and again with a labeler that
// stops after three (as a killed process) and a new one that resumes from the progress file:
// both must write the same train.json and val.json, and the resumed labeler must look only at
// the frames not saved before the stop.
func TestCheckpointResumesLabelling(t *testing.T) {
	names := []string{"f0", "f1", "f2", "f3", "f4"}
	heldOut := func(i int) bool { return i >= 4 }
	img := image.NewRGBA(image.Rect(0, 0, 200, 300))
	ctx := context.Background()
	// label feeds frames [from, to) to a labeler on dir and returns the frames it looked at.
	label := func(t *testing.T, dir, key string, every, from, to int, finish bool) []string {
		t.Helper()
		var seen []string
		current := ""
		lab, err := NewPseudoLabeler(&blazepose.Pipeline{}, dir, PseudoOptions{})
		if err != nil {
			t.Fatal(err)
		}
		lab.Find = func(context.Context, image.Image) ([]blazepose.Person, error) {
			seen = append(seen, current)
			if current == "f2" {
				return nil, nil // a frame without people is remembered as done too
			}
			return []blazepose.Person{fakePerson(0.9, 0.9)}, nil
		}
		if key != "" {
			if _, err := lab.Checkpoint(key, every); err != nil {
				t.Fatal(err)
			}
		}
		for i := from; i < to; i++ {
			current = names[i]
			if _, err := lab.Add(ctx, names[i], img, heldOut(i)); err != nil {
				t.Fatal(err)
			}
		}
		if finish {
			if err := lab.Finish(); err != nil {
				t.Fatal(err)
			}
		}
		return seen
	}
	read := func(t *testing.T, dir string) [2][]byte {
		t.Helper()
		var out [2][]byte
		for i, f := range []string{"train.json", "val.json"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			out[i] = b
		}
		return out
	}
	whole := t.TempDir()
	label(t, whole, "", 0, 0, len(names), true)
	want := read(t, whole)

	tests := []struct {
		name       string
		every      int
		resumeKey  string
		wantSecond []string // frames the second labeler looks at
	}{
		{"saved after every frame", 1, "k", []string{"f3", "f4"}},
		{"saved every second frame: the unsaved third frame is redone", 2, "k", []string{"f2", "f3", "f4"}},
		{"other inputs: labelled afresh", 1, "other", []string{"f0", "f1", "f2", "f3", "f4"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if first := label(t, dir, "k", tc.every, 0, 3, false); !reflect.DeepEqual(first, names[:3]) {
				t.Fatalf("first labeler looked at %v", first)
			}
			if _, err := os.Stat(filepath.Join(dir, LabelProgress)); err != nil {
				t.Fatalf("no progress saved: %v", err)
			}
			// The second labeler is given every frame again, as a rerun of the same command is.
			second := label(t, dir, tc.resumeKey, tc.every, 0, len(names), true)
			if !reflect.DeepEqual(second, tc.wantSecond) {
				t.Errorf("resumed labeler looked at %v, want %v", second, tc.wantSecond)
			}
			if got := read(t, dir); !reflect.DeepEqual(got, want) {
				t.Errorf("resumed labelling wrote\n%s\n%s\nwant\n%s\n%s", got[0], got[1], want[0], want[1])
			}
			if _, err := os.Stat(filepath.Join(dir, LabelProgress)); !os.IsNotExist(err) {
				t.Errorf("progress file left after Finish: %v", err)
			}
			if d, err := dataset.Read(ctx, filepath.Join(dir, "train.json"), dataset.ReadOptions{}); err != nil || len(d.Annotations) != 3 {
				t.Errorf("train.json: %v, %d people, want 3 (f0, f1, f3)", err, len(d.Annotations))
			}
		})
	}
}

// TestCheckpointRejectsMissingImages: progress that names an image no longer on disk is an
// error naming the image, not a dataset with a hole.
func TestCheckpointRejectsMissingImages(t *testing.T) {
	dir := t.TempDir()
	lab, err := NewPseudoLabeler(&blazepose.Pipeline{}, dir, PseudoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lab.Find = func(context.Context, image.Image) ([]blazepose.Person, error) {
		return []blazepose.Person{fakePerson(0.9, 0.9)}, nil
	}
	if _, err := lab.Checkpoint("k", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := lab.Add(context.Background(), "f0", image.NewRGBA(image.Rect(0, 0, 200, 300)), false); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "images", "f0.png")); err != nil {
		t.Fatal(err)
	}
	again, err := NewPseudoLabeler(&blazepose.Pipeline{}, dir, PseudoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Checkpoint("k", 1); err == nil {
		t.Fatal("resumed from progress whose image is gone")
	}
}

func TestHeldOutCount(t *testing.T) {
	tests := []struct {
		n       int
		holdout float64
		want    int
	}{
		{0, 0.25, 0}, {1, 0.25, 0}, {2, 0.25, 1}, {3, 0.25, 1}, {8, 0.25, 2}, {10, 0.25, 3}, {4, 0.9, 3},
	}
	for _, tc := range tests {
		if got := heldOutCount(tc.n, tc.holdout); got != tc.want {
			t.Errorf("heldOutCount(%d, %v) = %d, want %d", tc.n, tc.holdout, got, tc.want)
		}
	}
}
