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
	"github.com/posedistill/posedistill/skeleton"
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

// TestWorldJoints3D: BlazePose's world landmarks become H36MFace joints in millimetres, named
// joints copied and the Human3.6M ones derived, and annotate stores them as Joints3D.
func TestWorldJoints3D(t *testing.T) {
	bp := skeleton.BlazePose33()
	world := make([][3]float64, blazepose.NumLandmarks+6)
	for i := range world {
		world[i] = [3]float64{float64(i), -float64(i), 0.5 * float64(i)} // metres, distinct per point
	}
	got, err := worldJoints3D(world)
	if err != nil {
		t.Fatal(err)
	}
	h := skeleton.H36MFace()
	at := func(name string) [3]float64 {
		i := 3 * h.Index(name)
		return [3]float64{got[i], got[i+1], got[i+2]}
	}
	mm := func(name string) [3]float64 {
		p := world[bp.Index(name)]
		return [3]float64{1000 * p[0], 1000 * p[1], 1000 * p[2]}
	}
	avg := func(a, b [3]float64) [3]float64 {
		return [3]float64{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2}
	}
	tests := []struct {
		joint string
		want  [3]float64
	}{
		{"left_hip", mm("left_hip")},
		{"right_wrist", mm("right_wrist")},
		{"nose", mm("nose")},
		{"left_ear", mm("left_ear")},
		{"pelvis", avg(mm("left_hip"), mm("right_hip"))},
		{"thorax", avg(mm("left_shoulder"), mm("right_shoulder"))},
	}
	if len(got) != 3*h.NumJoints() {
		t.Fatalf("%d values, want %d", len(got), 3*h.NumJoints())
	}
	for _, tc := range tests {
		if g := at(tc.joint); g != tc.want {
			t.Errorf("%s = %v, want %v", tc.joint, g, tc.want)
		}
	}
	if _, err := worldJoints3D(world[:10]); err == nil {
		t.Error("10 world points accepted")
	}
	p := fakePerson(0.9, 0.9)
	p.Pose.World = world
	a, ok, err := (&PseudoLabeler{}).annotate(p, dataset.Image{ID: 1, Width: 200, Height: 300}, PseudoOptions{}.withDefaults())
	if err != nil || !ok {
		t.Fatalf("annotate: %v, kept %v", err, ok)
	}
	if !reflect.DeepEqual(a.Joints3D, got) {
		t.Errorf("annotation's 3D joints %v, want the world landmarks' %v", a.Joints3D, got)
	}
}
