package pose

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/posedistill/posedistill/blazepose"
)

// withFace returns a standing person whose head keypoints (nose, eyes, ears) sit at (fx, fy)
// and whose pose was estimated in the crop box.
func withFace(fx, fy float64, box [4]float64) Person {
	p := standing(box[0], box[1], box[2], box[3], 0.9)
	for i := range 5 {
		p.Keypoints[i].X, p.Keypoints[i].Y = fx, fy
	}
	p.from = region{box: box, detected: true}
	return p
}

func TestBesideSomeone(t *testing.T) {
	man := withFace(509, 155, [4]float64{461, 141, 97, 97}) // vtest.avi frame 100's man facing the camera
	far := withFace(100, 100, [4]float64{60, 80, 90, 90})
	det := func(fx, fy, body float64) region {
		return region{face: [2]float64{fx, fy}, box: [4]float64{fx - body/2, fy, body, body}, detected: true}
	}
	tests := []struct {
		name   string
		c      region
		people []Person
		want   bool
	}{
		{"the woman beside him: face in his crop, 18 pixels from his", det(526, 163, 86), []Person{far, man}, true},
		{"his own face again", det(512, 158, 86), []Person{man}, false},
		{"a face in nobody's crop", det(300, 300, 80), []Person{far, man}, false},
		{"in someone's crop but on another's face", det(509, 150, 86), []Person{withFace(520, 150, [4]float64{470, 100, 100, 100}), man}, false},
		{"nobody found", det(526, 163, 86), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := besideSomeone(tt.c, tt.people); got != tt.want {
				t.Errorf("besideSomeone = %v, want %v", got, tt.want)
			}
		})
	}
}

// segmented returns a BlazePose person whose crop is the upright square of side 100 centred at
// (50, 50) and whose segmentation covers the crop's left half.
func segmented() Person {
	seg := make([]float32, blazepose.InputSize*blazepose.InputSize)
	for y := range blazepose.InputSize {
		for x := range blazepose.InputSize {
			seg[y*blazepose.InputSize+x] = -10
			if x < blazepose.InputSize/2 {
				seg[y*blazepose.InputSize+x] = 10
			}
		}
	}
	p := standing(0, 0, 50, 100, 0.9)
	p.BlazePose = &blazepose.Person{ROI: blazepose.Rect{CX: 50, CY: 50, W: 100, H: 100}, Pose: &blazepose.Pose{Segmentation: seg}}
	return p
}

func TestPaintOut(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 200, 120))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	grey := color.RGBA{maskGrey, maskGrey, maskGrey, 255}
	tests := []struct {
		name   string
		people []Person
		want   map[image.Point]color.RGBA
	}{
		{"the segmented half is grey, the rest unchanged", []Person{segmented()}, map[image.Point]color.RGBA{
			{10, 50}: grey, {45, 5}: grey, {60, 50}: {200, 200, 200, 200}, {150, 50}: {200, 200, 200, 200}}},
		{"a person without segmentation is not painted", []Person{standing(0, 0, 50, 100, 0.9)}, map[image.Point]color.RGBA{
			{10, 50}: {200, 200, 200, 200}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := paintOut(img, tt.people)
			if err != nil {
				t.Fatal(err)
			}
			if out.Bounds() != img.Bounds() {
				t.Fatalf("bounds %v, want %v", out.Bounds(), img.Bounds())
			}
			for pt, want := range tt.want {
				if got := color.RGBAModel.Convert(out.At(pt.X, pt.Y)).(color.RGBA); got != want {
					t.Errorf("pixel %v: %v, want %v", pt, got, want)
				}
			}
		})
	}
}

func TestOnMask(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 200, 120))
	masked, err := paintOut(img, []Person{segmented()})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    Person
		img  image.Image
		want float64
	}{
		{"a pose on the paint", standing(5, 10, 30, 80, 0.9), masked, 1},
		{"a pose beside it", standing(120, 10, 30, 80, 0.9), masked, 0},
		{"half on it", standing(30, 10, 60, 80, 0.9), masked, 9.0 / 17},
		{"nothing painted", standing(5, 10, 30, 80, 0.9), img, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := onMask(tt.p, tt.img); got != tt.want {
				t.Errorf("onMask = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOnPaint(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 200, 120))
	masked, err := paintOut(img, []Person{segmented()}) // the square x 0–50, y 0–100 painted
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		img  image.Image
		pt   [2]float64
		want bool
	}{
		{"on the paint", masked, [2]float64{20, 30}, true},
		{"beside it", masked, [2]float64{80, 30}, false},
		{"outside the image", masked, [2]float64{-5, 30}, false},
		{"not a number", masked, [2]float64{math.NaN(), 30}, false},
		{"nothing painted", img, [2]float64{20, 30}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := onPaint(tt.img, tt.pt); got != tt.want {
				t.Errorf("onPaint = %v, want %v", got, tt.want)
			}
		})
	}
}
