package blazepose

import (
	"image"
	"image/color"
	"testing"

	"github.com/posedistill/posedistill/dataset"
)

// TestDraw checks the overlay paints the mask, the box and the skeleton where they belong and
// nothing far from the person.
func TestDraw(t *testing.T) {
	r, err := testPerson().Result(1, 1)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 120, 100))
	mask := &dataset.Mask{Width: 120, Height: 100, Pix: make([]uint8, 120*100)}
	mask.Pix[90*120+100] = 1
	if err := Draw(img, r, mask, 0); err != nil {
		t.Fatal(err)
	}
	black := color.RGBA{}
	for _, c := range []struct {
		x, y    int
		painted bool
		what    string
	}{
		{100, 90, true, "mask pixel"},
		{101, 91, false, "pixel next to the mask"},
		{10, 30, true, "box edge"},
		{20, 40, true, "landmark 10"},
		{110, 10, false, "empty corner"},
	} {
		if got := img.RGBAAt(c.x, c.y) != black; got != c.painted {
			t.Errorf("%s (%d, %d) painted = %v, want %v", c.what, c.x, c.y, got, c.painted)
		}
	}
	r.Landmarks = r.Landmarks[:5]
	if err := Draw(img, r, nil, 0); err == nil {
		t.Error("5 landmarks: want error")
	}
	if err := Draw(img, r, &dataset.Mask{Width: 3, Height: 3, Pix: make([]uint8, 9)}, 0); err == nil {
		t.Error("mask of another size: want error")
	}
}
