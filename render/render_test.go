package render

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
)

func blank(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0
	}
	return img
}

func red(img *image.RGBA, x, y int) uint8 { return img.Pix[img.PixOffset(x, y)] }

func TestLineCoversSegmentOnly(t *testing.T) {
	tests := []struct {
		name           string
		x0, y0, x1, y1 float64
		on, off        [][2]int
	}{
		{"horizontal", 2, 10, 28, 10, [][2]int{{5, 9}, {15, 9}, {25, 9}}, [][2]int{{15, 2}, {15, 18}, {31, 9}}},
		{"diagonal", 0, 0, 20, 20, [][2]int{{5, 5}, {10, 10}, {15, 15}}, [][2]int{{15, 5}, {5, 15}, {25, 25}}},
		{"degenerate point", 8, 8, 8, 8, [][2]int{{7, 7}}, [][2]int{{12, 12}}},
		{"off image", -50, -50, -40, -40, nil, [][2]int{{0, 0}}},
		{"NaN ignored", math.NaN(), 0, 5, 5, nil, [][2]int{{2, 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := blank(32, 32)
			Line(img, tc.x0, tc.y0, tc.x1, tc.y1, 2, color.RGBA{255, 0, 0, 255})
			for _, p := range tc.on {
				if red(img, p[0], p[1]) < 128 {
					t.Errorf("pixel %v not drawn", p)
				}
			}
			for _, p := range tc.off {
				if red(img, p[0], p[1]) != 0 {
					t.Errorf("pixel %v drawn", p)
				}
			}
		})
	}
}

func TestCircleIsHollowDiscIsFilled(t *testing.T) {
	img := blank(40, 20)
	Disc(img, 10, 10, 5, color.RGBA{255, 0, 0, 255})
	Circle(img, 30, 10, 5, 1, color.RGBA{255, 0, 0, 255})
	if red(img, 10, 10) != 255 || red(img, 7, 10) != 255 {
		t.Error("disc not filled")
	}
	if red(img, 29, 9) != 0 {
		t.Error("circle centre filled")
	}
	if red(img, 25, 10) < 128 {
		t.Error("circle outline missing")
	}
}

func TestSkeleton(t *testing.T) {
	coco := skeleton.COCO17()
	kps := make([]float64, 51)
	// Left shoulder (5) to left elbow (7), both visible; right wrist (10) occluded.
	kps[5*3], kps[5*3+1], kps[5*3+2] = 10, 10, 2
	kps[7*3], kps[7*3+1], kps[7*3+2] = 10, 40, 2
	kps[10*3], kps[10*3+1], kps[10*3+2] = 40, 40, 1
	img := blank(64, 64)
	st := DefaultStyle(256)
	st.Bone = 4
	if err := Skeleton(img, coco, kps, st); err != nil {
		t.Fatal(err)
	}
	at := func(x, y int) color.RGBA {
		o := img.PixOffset(x, y)
		return color.RGBA{img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3]}
	}
	if c := at(10, 25); c != st.Left {
		t.Errorf("left bone colour %v, want %v", c, st.Left)
	}
	if c := at(10, 10); c != st.Left {
		t.Errorf("left keypoint colour %v", c)
	}
	if c := at(40, 40); c.R != 0 {
		t.Errorf("occluded keypoint centre filled: %v", c)
	}
	if c := at(40, 37); c.R < 128 {
		t.Errorf("occluded keypoint ring missing: %v", c)
	}
	// Unlabelled joints (v = 0 at the origin) draw nothing there.
	if c := at(0, 0); c.A != 0 {
		t.Errorf("unlabelled joint drawn: %v", c)
	}
	if err := Skeleton(img, coco, kps[:50], DefaultStyle(256)); err == nil {
		t.Error("wrong keypoint count accepted")
	}
}

func TestMaskAndBox(t *testing.T) {
	img := blank(8, 6)
	m := dataset.Mask{Width: 8, Height: 6, Pix: make([]uint8, 48)}
	m.Pix[2*8+3] = 1
	if err := Mask(img, &m, color.RGBA{200, 0, 0, 255}, 0.5); err != nil {
		t.Fatal(err)
	}
	if red(img, 3, 2) != 100 || red(img, 4, 2) != 0 {
		t.Errorf("mask tint: %d at the mask, %d beside it", red(img, 3, 2), red(img, 4, 2))
	}
	bad := dataset.Mask{Width: 4, Height: 6, Pix: make([]uint8, 24)}
	if err := Mask(img, &bad, color.RGBA{}, 1); err == nil {
		t.Error("mismatched mask accepted")
	}
	img = blank(20, 20)
	Box(img, [4]float64{5, 5, 10, 10}, 1, color.RGBA{255, 0, 0, 255})
	if red(img, 5, 10) < 100 || red(img, 10, 10) != 0 {
		t.Error("box outline wrong")
	}
}

func TestGrid(t *testing.T) {
	tests := []struct {
		n, cols, wantW, wantH int
	}{
		{1, 3, 10 + 2*2, 10 + 2*2},
		{4, 2, 2*10 + 3*2, 2*10 + 3*2},
		{5, 2, 2*10 + 3*2, 3*10 + 4*2},
	}
	for _, tc := range tests {
		var imgs []image.Image
		for range tc.n {
			im := blank(20, 10)
			for i := range im.Pix {
				im.Pix[i] = 255
			}
			imgs = append(imgs, im)
		}
		g, err := Grid(imgs, tc.cols, 10, 10, 2, color.RGBA{0, 0, 0, 255})
		if err != nil {
			t.Fatal(err)
		}
		if g.Rect.Dx() != tc.wantW || g.Rect.Dy() != tc.wantH {
			t.Errorf("%d images in %d columns: %v, want %dx%d", tc.n, tc.cols, g.Rect, tc.wantW, tc.wantH)
		}
		// A 20×10 image in a 10×10 cell is scaled to 10×5 and centred vertically.
		if red(g, 6, 2+5) != 255 || red(g, 6, 2+1) != 0 {
			t.Errorf("cell content misplaced")
		}
	}
	if _, err := Grid(nil, 2, 10, 10, 0, color.RGBA{}); err == nil {
		t.Error("empty grid accepted")
	}
}

// LabelColumns adds a header of labelHeight pixels with dark text above each column only, and
// keeps the grid below it unchanged.
func TestLabelColumns(t *testing.T) {
	cell := blank(20, 10)
	g, err := Grid([]image.Image{cell, cell}, 2, 60, 10, 2, color.RGBA{255, 255, 255, 255})
	if err != nil {
		t.Fatal(err)
	}
	out, err := LabelColumns(g, []string{"gt", "a very long label"}, 60, 2, color.RGBA{255, 255, 255, 255})
	if err != nil {
		t.Fatal(err)
	}
	if out.Bounds().Dy() != g.Bounds().Dy()+labelHeight || out.Bounds().Dx() != g.Bounds().Dx() {
		t.Fatalf("labelled grid %v, grid %v", out.Bounds(), g.Bounds())
	}
	dark := func(x0, x1 int) int {
		n := 0
		for y := range labelHeight {
			for x := x0; x < x1; x++ {
				if red(out, x, y) < 128 {
					n++
				}
			}
		}
		return n
	}
	if dark(2, 62) == 0 || dark(64, 124) == 0 {
		t.Error("a column has no label")
	}
	if dark(0, 2) != 0 || dark(62, 64) != 0 {
		t.Error("label text spills into the gaps between columns")
	}
	for y := range g.Bounds().Dy() {
		for x := range g.Bounds().Dx() {
			if out.RGBAAt(x, y+labelHeight) != g.RGBAAt(x, y) {
				t.Fatalf("grid pixel (%d, %d) changed under the header", x, y)
			}
		}
	}
}
