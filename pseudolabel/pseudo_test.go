package pseudolabel

import (
	"context"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/posedistill/posedistill/distill"

	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/train"
)

// fakePerson is a standing figure: the 33 landmarks on a vertical line from (100, 50) to
// (100, 250) in image pixels, all with visibility vis, a crop ROI around it and a segmentation
// that is all person (logit 5).
func fakePerson(score, vis float64) blazepose.Person {
	p := blazepose.Person{ROI: blazepose.Rect{CX: 100, CY: 150, W: 256, H: 256}, Pose: &blazepose.Pose{Score: score}}
	seg := make([]float32, blazepose.InputSize*blazepose.InputSize)
	for i := range seg {
		seg[i] = 5
	}
	p.Pose.Segmentation = seg
	for i := range blazepose.NumLandmarks {
		lm := blazepose.Landmark{X: 100 + float64(i%3), Y: 50 + 200*float64(i)/32, Visibility: vis, Presence: 1}
		p.Landmarks = append(p.Landmarks, lm)
	}
	return p
}

func TestPseudoAnnotate(t *testing.T) {
	im := dataset.Image{ID: 7, Width: 200, Height: 200}
	tests := []struct {
		name      string
		person    blazepose.Person
		keep      bool
		labelled  int     // COCO-17 keypoints labelled (those below y = 200 only)
		maxBottom float64 // box bottom edge is clipped to the image
	}{
		{"confident", fakePerson(0.9, 0.9), true, 0, 200},
		{"unsure pose", fakePerson(0.3, 0.9), false, 0, 0},
		{"invisible keypoints", fakePerson(0.9, 0.2), false, 0, 0},
		{"no pose", blazepose.Person{}, false, 0, 0},
	}
	l := &PseudoLabeler{}
	o := PseudoOptions{}.withDefaults()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, ok, err := l.annotate(tc.person, im, o)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.keep {
				t.Fatalf("kept %v, want %v", ok, tc.keep)
			}
			if !ok {
				return
			}
			if a.ImageID != im.ID || a.CategoryID != 1 || len(a.Keypoints) != 51 {
				t.Fatalf("annotation %+v", a)
			}
			// Keypoints with y ≥ 200 are outside the image, so unlabelled; the rest labelled 2.
			want := 0
			for i := 0; i < 51; i += 3 {
				v := a.Keypoints[i+2]
				if v != 0 && v != 2 {
					t.Errorf("keypoint %d visibility %v, want 0 or 2", i/3, v)
				}
				if v == 2 {
					want++
					if a.Keypoints[i+1] >= 200 {
						t.Errorf("keypoint %d at y %v labelled outside the image", i/3, a.Keypoints[i+1])
					}
				} else if a.Keypoints[i] != 0 || a.Keypoints[i+1] != 0 {
					t.Errorf("unlabelled keypoint %d has position %v, %v", i/3, a.Keypoints[i], a.Keypoints[i+1])
				}
			}
			if a.NumKeypoints != want || want == 0 || want == 17 {
				t.Errorf("num_keypoints %d, counted %d (want some, not all, labelled)", a.NumKeypoints, want)
			}
			if b := a.BBox; b[1] < 49 || b[1]+b[3] > tc.maxBottom+1e-9 || b[2] <= 0 {
				t.Errorf("box %v, want from y≈50 to the image bottom", b)
			}
			if a.Segmentation == nil || a.Segmentation.RLE == nil || a.Area <= 0 || a.Area > 200*200 {
				t.Errorf("mask area %v, segmentation %v", a.Area, a.Segmentation)
			}
		})
	}
}

// TestDistillUnlabeledOnPhotos labels OpenCV's three photos with BlazePose (lite, to stay quick),
// holds out basketball2, and distills a student for a handful of steps from lite (primary) and
// full (senior): the dataset must round-trip through train.ReadSplit, and the run must report an
// agreement AP in [0, 1] and positive latencies.
func TestDistillUnlabeledOnPhotos(t *testing.T) {
	const dir = "/usr/share/doc/opencv-doc/examples/data/"
	photos := []struct {
		name    string
		heldOut bool
	}{{"messi5.jpg", false}, {"basketball1.png", false}, {"basketball2.png", true}}
	for _, p := range photos {
		if _, err := os.Stat(dir + p.name); err != nil {
			t.Skip("opencv-doc photos not installed")
		}
	}
	cache := testkit.BlazePoseCache(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	be := testkit.Backend(t)
	pipe, err := blazepose.NewPipeline(be, cache, modelstore.PoseLandmarkLite)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	lab, err := NewPseudoLabeler(pipe, data, PseudoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range photos {
		img, err := dataset.LoadImage(dir + p.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lab.Add(ctx, p.name, img, p.heldOut); err != nil {
			t.Fatal(err)
		}
	}
	ti, tp, vi, vp := lab.Counts()
	if ti != 2 || tp < 2 || vi != 1 || vp < 1 {
		t.Fatalf("people found: train %d images %d people, val %d images %d people; want every photo with someone", ti, tp, vi, vp)
	}
	if err := lab.Finish(); err != nil {
		t.Fatal(err)
	}
	for _, split := range []string{"train.json", "val.json"} {
		s, err := train.ReadSplit(ctx, data, split)
		if err != nil {
			t.Fatal(err)
		}
		for _, inst := range s.Instances {
			img, err := dataset.LoadImage(inst.ImagePath)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b != image.Rect(0, 0, inst.Image.Width, inst.Image.Height) {
				t.Errorf("%s: saved image %v, dataset says %dx%d", inst.ImagePath, b, inst.Image.Width, inst.Image.Height)
			}
		}
	}
	cfg := train.DefaultConfig()
	cfg.Name, cfg.InputW, cfg.InputH = "unlabeled-test", 64, 96
	cfg.Model.Width, cfg.BatchSize, cfg.Steps, cfg.WarmupSteps = 0.5, 2, 4, 1
	cfg.CheckpointEvery, cfg.ValidateEvery, cfg.FlipTest = 0, 0, false
	bin := distill.DefaultBinarization()
	res, err := DistillUnlabeled(ctx, UnlabeledOptions{
		Config: cfg, DataDir: data, OutDir: filepath.Join(tmp, "run"),
		Recipe: distill.Recipe{
			Teachers: []distill.TeacherRef{{Name: distill.PrimaryName, Model: "blazepose-lite", Binarize: &bin}, {Name: distill.SeniorName, Model: "blazepose-full", Binarize: &bin}},
			Alpha:    0.5, Mask: true, MaskWeight: 0.1, RestrictWeight: 1,
		},
		LatencyRuns: 3, Backend: be,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Train.Steps != 4 || math.IsNaN(res.Train.Loss) {
		t.Errorf("run: %+v", res.Train)
	}
	if !(res.Agreement >= 0 && res.Agreement <= 1) || res.Agreement != res.Train.Val.AP {
		t.Errorf("agreement %v, val AP %v", res.Agreement, res.Train.Val.AP)
	}
	if !(res.StudentMS > 0 && res.PrimaryMS > 0 && res.SeniorMS > 0) {
		t.Errorf("latencies student %v, primary %v, senior %v ms", res.StudentMS, res.PrimaryMS, res.SeniorMS)
	}
	for _, f := range []string{"unlabeled.json", AgreementFile} {
		if _, err := os.Stat(filepath.Join(tmp, "run", f)); err != nil {
			t.Error(err)
		}
	}
}
